//! Talking to the Web API: the HTTP choke point (`http`), authentication and error mapping
//! (`client`) with the way out of a refusal (`hints`), pagination (`paginate`) and local parsing of IDs (`ids`).

pub mod client;
pub mod hints;
pub mod http;
pub mod ids;
pub mod paginate;
