//! The JSON API: `GET /api/health`, `GET /api/model`, `POST /api/predict`.

use std::path::Path;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use dos_data::io::{parse_structure, StructureFormat};
use dos_data::Crystal;
use dos_predict::{PredictError, PredictOptions, Predictor};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::time::{timeout_at, Instant};

use crate::state::ServeState;

/// Seconds a client is told to wait (`Retry-After`) when the queue is full.
const RETRY_AFTER_S: &str = "2";

/// Structures per [`Predictor::predict_many`] call; the deadline is checked between calls.
const CHUNK: usize = 32;

/// A JSON error answer `{"error": message}`.
pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// 503 with `Retry-After`.
fn unavailable(message: impl Into<String>) -> Response {
    let mut r = error(StatusCode::SERVICE_UNAVAILABLE, message);
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_S));
    r
}

/// `Connection: close` on an answer given before the request body was read to its end: the
/// connection cannot carry another request, and a keep-alive client must be told so (else its
/// next request on it fails with a broken pipe).
pub(crate) fn closing(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// `GET /api/health`.
pub(crate) async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /api/model`.
pub(crate) async fn model(State(s): State<Arc<ServeState>>) -> Json<Value> {
    Json(s.summary.clone())
}

/// Query of `POST /api/predict`.
#[derive(Debug, Deserialize)]
pub(crate) struct PredictQuery {
    /// Temperature of the phonon properties, K (default 300).
    temperature: Option<f64>,
}

/// One uploaded file: its id (the part's file name) and bytes, held in memory only.
struct Upload {
    id: String,
    bytes: Bytes,
}

/// `POST /api/predict?temperature=300`: `file` parts in, a JSON array out (see the crate doc).
pub(crate) async fn predict(
    State(s): State<Arc<ServeState>>,
    query: Result<Query<PredictQuery>, axum::extract::rejection::QueryRejection>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let deadline = Instant::now() + s.timeout;
    let temperature = match query {
        Ok(Query(q)) => q.temperature.unwrap_or(300.0),
        Err(e) => return error(StatusCode::BAD_REQUEST, e.body_text()),
    };
    let opts = PredictOptions {
        temperature,
        ..PredictOptions::default()
    };
    if !(temperature.is_finite() && temperature > 0.0 && temperature <= 1e5) {
        return error(
            StatusCode::BAD_REQUEST,
            format!("temperature {temperature} K is not in (0, 100000]"),
        );
    }
    let multipart = match multipart {
        Ok(m) => m,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.body_text()),
    };
    // Admission before the body is read: a full queue costs a client nothing but this answer.
    let Ok(admitted) = s.admitted.clone().try_acquire_owned() else {
        return closing(unavailable(format!(
            "the queue is full ({} requests); retry later",
            s.queue
        )));
    };
    let uploads = match timeout_at(deadline, read_uploads(multipart, s.max_files)).await {
        Ok(Ok(u)) => u,
        Ok(Err(r)) => return closing(r),
        Err(_) => {
            return closing(error(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the upload took longer than the limit of {:.1} s",
                    s.timeout.as_secs_f64()
                ),
            ))
        }
    };
    if uploads.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "no part named `file`: send structure files as multipart/form-data parts named `file`",
        );
    }
    let limit = s.timeout.as_secs_f64();
    let too_slow = || {
        unavailable(format!(
            "the prediction took longer than the limit of {limit:.1} s"
        ))
    };
    let Ok(Ok(worker)) = timeout_at(deadline, s.workers.clone().acquire_owned()).await else {
        return too_slow();
    };
    let predictor = s.predictor.clone();
    let std_deadline = deadline.into_std();
    let job = tokio::task::spawn_blocking(move || {
        // The permits live as long as the work: a request that timed out still holds its place
        // until its current chunk ends, so the queue bounds the work actually running.
        let _permits = (admitted, worker);
        predict_uploads(&predictor, uploads, &opts, std_deadline)
    });
    match timeout_at(deadline, job).await {
        Ok(Ok(Some(elements))) => (
            [(header::CONTENT_TYPE, "application/json")],
            format!("[{}]", elements.join(",")),
        )
            .into_response(),
        Ok(Ok(None)) | Err(_) => too_slow(),
        Ok(Err(join)) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the prediction failed: {join}"),
        ),
    }
}

/// Reads the `file` parts (other parts are read and ignored), at most `max_files`.
async fn read_uploads(mut multipart: Multipart, max_files: usize) -> Result<Vec<Upload>, Response> {
    let mut uploads = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => return Ok(uploads),
            Err(e) => return Err(multipart_error(e)),
        };
        let is_file = field.name() == Some("file");
        if is_file && uploads.len() == max_files {
            return Err(error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("more than {max_files} files in one request"),
            ));
        }
        let id = field
            .file_name()
            .filter(|n| !n.is_empty())
            .map_or_else(|| format!("file-{}", uploads.len() + 1), str::to_string);
        let bytes = field.bytes().await.map_err(multipart_error)?;
        if is_file {
            uploads.push(Upload { id, bytes });
        }
    }
}

fn multipart_error(e: MultipartError) -> Response {
    let status = e.status();
    let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
        "the request body is larger than the limit".to_string()
    } else {
        e.body_text()
    };
    error(status, message)
}

/// The text of an upload as a structure, the format detected as `dos predict` does: from the
/// file name, else from the content.
fn parse_upload(id: &str, bytes: &[u8]) -> dos_predict::Result<Crystal> {
    let text = std::str::from_utf8(bytes).map_err(|e| PredictError::Structure {
        id: id.to_string(),
        message: format!("not UTF-8 text (byte {})", e.valid_up_to()),
    })?;
    let path = Path::new(id);
    let format =
        StructureFormat::from_path(path).unwrap_or_else(|| StructureFormat::from_content(text));
    Ok(parse_structure(text, format, path)?)
}

/// One JSON element per upload, in order: the prediction as `dos predict --format json`
/// writes it (the same serialisation, so the same text and key order), or `{"id", "error"}`.
/// `None` when the deadline passed between chunks.
fn predict_uploads(
    predictor: &Predictor,
    uploads: Vec<Upload>,
    opts: &PredictOptions,
    deadline: std::time::Instant,
) -> Option<Vec<String>> {
    let mut out = Vec::with_capacity(uploads.len());
    for chunk in uploads.chunks(CHUNK) {
        if std::time::Instant::now() >= deadline {
            return None;
        }
        let ids: Vec<&str> = chunk.iter().map(|u| u.id.as_str()).collect();
        let inputs = chunk
            .iter()
            .map(|u| parse_upload(&u.id, &u.bytes).map(|c| (u.id.clone(), c)))
            .collect();
        match predictor.predict_many(inputs, opts) {
            Ok(results) => {
                for (id, r) in ids.iter().zip(results) {
                    out.push(match r {
                        Ok(p) => serde_json::to_string(&p)
                            .unwrap_or_else(|e| error_element(id, &e.to_string())),
                        Err(e) => error_element(id, &e.to_string()),
                    });
                }
            }
            Err(e) => out.extend(ids.iter().map(|id| error_element(id, &e.to_string()))),
        }
    }
    Some(out)
}

/// `{"id": id, "error": message}` with the message on one line.
fn error_element(id: &str, message: &str) -> String {
    let one_line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    json!({ "id": id, "error": one_line }).to_string()
}
