//! One module per subcommand, each with one `run` that only orchestrates: flags in, plain values
//! to `auth/`, `api/` and `output`, an error out. Two modules serve several of them: `catalog`
//! (listings written as they arrive) and `batch` (going on past one failing item, the summary);
//! `fetch` runs a batch of listings described as rows (`api::listings`) over the inputs that
//! `inputs` reads (command line and stdin, IDs, URIs, links, spotctl's JSON).

pub mod accounts;
pub mod albums;
pub mod api;
pub mod batch;
pub mod catalog;
pub mod completions;
pub mod fetch;
pub mod get;
pub mod inputs;
pub mod login;
pub mod logout;
pub mod man;
pub mod refresh;
pub mod search;
pub mod token;
pub mod tracks;
