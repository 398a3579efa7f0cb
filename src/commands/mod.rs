//! One module per subcommand, each with one `run` that only orchestrates: flags in, plain values
//! to `auth/`, `api/` and `output`, an error out. Two modules serve several of them: `catalog`
//! (listings written as they arrive) and `batch` (going on past one failing item, the summary).

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
