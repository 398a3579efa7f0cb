//! Talking to the Web API: the HTTP choke point (`http`: requests, the retry policy, per-origin
//! gates), authentication and error mapping (`client`) with the way out of a refusal (`hints`),
//! what a page is and the page sizes (`page`), pagination (`paginate`), the `--rate` cap
//! (`rate`), local parsing of IDs (`ids`), the catalog's listings as data (`listings`) and what
//! TLS trusts (`tls`).

pub mod client;
pub mod hints;
pub mod http;
pub mod ids;
pub mod listings;
pub mod page;
pub mod paginate;
pub mod rate;
pub mod tls;
