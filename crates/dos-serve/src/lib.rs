//! # dos-serve
//!
//! `dos serve`: a web page and a JSON API over one [`Predictor`](dos_predict::Predictor), loaded once and shared, on
//! axum and tokio. It binds to 127.0.0.1 unless told otherwise.
//!
//! - `GET /api/health` -> `200 {"status":"ok"}`;
//! - `GET /api/model` -> the package's manifest summary (name, version, members, task, energy
//!   grid and unit, test and validation scores, calibration) and the server's limits;
//! - `POST /api/predict?temperature=300`, `multipart/form-data` with one or more parts named
//!   `file` (the part's file name is the structure's id; the format is detected as `dos
//!   predict` does, from the bytes in memory; nothing is written to disk) -> `200` and a JSON
//!   array in upload order, each element the object `dos predict --format json` writes, or
//!   `{"id": ..., "error": "<one line>"}` for a file that fails;
//!   `400 {"error"}` without a `file` part or with a bad temperature, `413` past the body limit
//!   or the file count, `503` with `Retry-After` when the queue is full or the prediction ran
//!   past the time limit, `408` when the upload did;
//! - `GET /`: the page (drop files, see each DOS with its 90 % band and the phonon properties,
//!   change the temperature, download JSON or CSV); `GET /model-card`: the model's README.
//!
//! Every request's cost is bounded ([`ServeConfig`]): body size, files per request, requests
//! admitted at once (running or waiting), predictions running at once (on tokio's blocking
//! pool) and time.
//!
//! ```no_run
//! let config = dos_serve::ServeConfig { port: 0, ..Default::default() };
//! dos_serve::run(&config)?; // prints the address, serves until Ctrl-C
//! # Ok::<(), dos_serve::ServeError>(())
//! ```

mod api;
mod args;
pub mod config;
pub mod error;
mod page;
pub mod server;
pub mod state;

pub use args::ServeArgs;
pub use config::ServeConfig;
pub use error::ServeError;
pub use server::{load_model, router, run, serve};
pub use state::ServeState;
