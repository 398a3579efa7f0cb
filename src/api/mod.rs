//! Talking to the Web API: the HTTP choke point (`http`), authentication and error mapping
//! (`client`), pagination (`paginate`), the `--rate` cap (`rate`) and local parsing of IDs (`ids`).

pub mod client;
pub mod http;
pub mod ids;
pub mod paginate;
pub mod rate;
