//! One module per subcommand, each with one `run`.

pub mod accounts;
pub mod albums;
pub mod api;
pub mod batch;
pub mod catalog;
pub mod completions;
pub mod login;
pub mod logout;
pub mod man;
pub mod refresh;
pub mod search;
pub mod token;
