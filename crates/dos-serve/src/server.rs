//! The router over a shared [`ServeState`], loading the model, and the serving loop.

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use dos_predict::Predictor;

use crate::api;
use crate::config::ServeConfig;
use crate::error::ServeError;
use crate::page;
use crate::state::ServeState;
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;

/// The routes over `state`, with the body limit applied (413 as JSON).
pub fn router(state: Arc<ServeState>) -> Router {
    let max_body = state.max_body;
    Router::new()
        .route("/", get(page::index))
        .route("/assets/app.js", get(page::app_js))
        .route("/assets/style.css", get(page::style_css))
        .route("/model-card", get(page::model_card))
        .route("/api/health", get(api::health))
        .route("/api/model", get(api::model))
        .route("/api/predict", post(api::predict))
        .fallback(|| async { api::error(StatusCode::NOT_FOUND, "no such page") })
        // tower-http refuses a declared Content-Length past the limit before the body is read,
        // and caps a streamed body; axum's own 2 MB default would otherwise apply first.
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(max_body))
        .layer(axum::middleware::map_response(
            move |r: Response| async move { json_413(r, max_body) },
        ))
        .with_state(state)
}

/// tower-http's 413 has a plain-text body; the API answers JSON.
fn json_413(r: Response, max_body: usize) -> Response {
    let is_json = r
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_json {
        return api::closing(api::error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is larger than the limit of {max_body} bytes"),
        ));
    }
    r
}

/// Loads the model `config.model` names (or the bundled one) with its model card.
///
/// # Errors
/// [`ServeError::Model`] when the package cannot be loaded.
pub fn load_model(config: &ServeConfig) -> Result<(Predictor, Option<String>), ServeError> {
    let device = candle_core::Device::Cpu;
    Ok(match &config.model {
        Some(path) => {
            let card = std::fs::read_to_string(path.join("README.md")).ok();
            (Predictor::load(path, &device)?, card)
        }
        None => (
            Predictor::bundled(&device)?,
            Some(dos_predict::bundled::MODEL_CARD.to_string()),
        ),
    })
}

/// Serves `state` on `listener` until `shutdown` completes.
///
/// # Errors
/// [`ServeError::Io`] when accepting connections fails.
pub async fn serve(
    listener: TcpListener,
    state: Arc<ServeState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let addr = listener
        .local_addr()
        .map_or_else(|_| "?".to_string(), |a| a.to_string());
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|source| ServeError::Io { addr, source })
}

/// Validates `config`, loads the model, binds, prints `dos serve: http://ADDR/` on standard
/// error and serves until Ctrl-C (the calling thread runs a tokio runtime).
///
/// # Errors
/// Invalid settings, a model that cannot be loaded, an address that cannot be bound.
pub fn run(config: &ServeConfig) -> Result<(), ServeError> {
    config.validate()?;
    let (predictor, card) = load_model(config)?;
    let state = Arc::new(ServeState::new(Arc::new(predictor), config, card));
    let io = |source| ServeError::Io {
        addr: config.addr().to_string(),
        source,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        // Requests only parse and wait; predictions run on the blocking pool.
        .worker_threads(2)
        .max_blocking_threads(config.workers + 4)
        .enable_all()
        .build()
        .map_err(io)?;
    runtime.block_on(async {
        let listener = TcpListener::bind(config.addr()).await.map_err(io)?;
        let local = listener.local_addr().map_err(io)?;
        eprintln!(
            "dos serve: http://{local}/ ({}, {} member(s)); Ctrl-C stops",
            state.predictor.source(),
            state.predictor.n_members()
        );
        serve(listener, state, async {
            // Ctrl-C, or never when signals cannot be watched.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
        .await
    })
}
