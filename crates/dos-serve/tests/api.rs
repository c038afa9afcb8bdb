//! The HTTP API end to end through the router (`tower::ServiceExt::oneshot`): status codes,
//! limits (413, 400, too many files, 503 when the queue is full, 408 past the time limit), a
//! bad file as an error element, and results equal to what `dos predict --format json` writes.

use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, Request, StatusCode};
use axum::Router;
use dos_predict::{PredictOptions, Predictor};
use dos_serve::{router, ServeConfig, ServeState};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

const BOUNDARY: &str = "dos-serve-test-boundary";

fn nacl_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../dos-predict/models/examples/NaCl.cif")
}

fn predictor() -> Arc<Predictor> {
    static P: OnceLock<Arc<Predictor>> = OnceLock::new();
    P.get_or_init(|| Arc::new(Predictor::bundled(&candle_core::Device::Cpu).unwrap()))
        .clone()
}

fn app_with(config: ServeConfig) -> (Router, Arc<ServeState>) {
    config.validate().unwrap();
    let state = Arc::new(ServeState::new(predictor(), &config, None));
    (router(state.clone()), state)
}

fn app() -> Router {
    app_with(ServeConfig::default()).0
}

/// A multipart body: `(part name, file name, bytes)` per part.
fn multipart(parts: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file, bytes) in parts {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn post(uri: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(uri)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body.into())
        .unwrap()
}

async fn send(app: Router, req: Request<Body>) -> (StatusCode, Value, axum::http::HeaderMap) {
    let r = app.oneshot(req).await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let bytes = r.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, json, headers)
}

#[tokio::test]
async fn health_and_model() {
    let (s, v, _) = send(
        app(),
        Request::get("/api/health").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(
        (s, v),
        (StatusCode::OK, serde_json::json!({"status": "ok"}))
    );
    let (s, v, _) = send(
        app(),
        Request::get("/api/model").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let m = predictor().manifest().clone();
    assert_eq!(v["members"], m.members.len());
    assert_eq!(v["task"], "phonon");
    assert_eq!(v["energy_grid"]["unit"], "cm^-1");
    assert_eq!(v["energy_grid"]["values"].as_array().unwrap().len(), 51);
    assert_eq!(
        v["test"]["mse_x10"].as_f64(),
        m.provenance.test.map(|t| t.mse_x10)
    );
    assert_eq!(
        v["calibration"]["scale"].as_f64(),
        m.calibration.map(|c| c.scale)
    );
    for key in ["name", "version", "limits"] {
        assert!(v.get(key).is_some(), "{key}");
    }
}

#[tokio::test]
async fn page_and_assets_are_served() {
    for (uri, kind) in [
        ("/", "text/html"),
        ("/assets/app.js", "text/javascript"),
        ("/assets/style.css", "text/css"),
    ] {
        let r = app()
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{uri}");
        let ct = r.headers()[header::CONTENT_TYPE].to_str().unwrap();
        assert!(ct.starts_with(kind), "{uri}: {ct}");
    }
    let (s, _, _) = send(app(), Request::get("/nope").body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// The API's element for NaCl.cif is the object `dos predict --format json` writes for it:
/// the same `Prediction` from `Predictor::predict_files`, serialised the same way.
#[tokio::test]
async fn prediction_equals_dos_predict() {
    let path = nacl_path();
    let bytes = std::fs::read(&path).unwrap();
    for t in [300.0, 500.0] {
        let body = multipart(&[("file", "NaCl.cif", &bytes)]);
        let r = app()
            .oneshot(post(&format!("/api/predict?temperature={t}"), body))
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let got = r.into_body().collect().await.unwrap().to_bytes();
        let opts = PredictOptions {
            temperature: t,
            ..Default::default()
        };
        // `dos predict --format json` writes `serde_json::to_string` of each prediction.
        let expected = predictor().predict_files(&[&path], &opts).unwrap();
        let expected = serde_json::to_string(expected[0].as_ref().unwrap()).unwrap();
        assert_eq!(std::str::from_utf8(&got).unwrap(), format!("[{expected}]"));
        let v: Value = serde_json::from_slice(&got).unwrap();
        assert_eq!(v[0]["properties"]["temperature_k"], t);
        assert_eq!(v[0]["id"], "NaCl.cif");
    }
}

/// Upload order is kept; a bad file is one error element and does not spoil the others; a
/// file without a known extension is recognised from its content.
#[tokio::test]
async fn bad_file_is_an_error_element() {
    let nacl = std::fs::read(nacl_path()).unwrap();
    let body = multipart(&[
        ("file", "bad.cif", b"data_x\n_cell_length_a oops\n"),
        ("file", "NaCl.cif", &nacl),
        ("comment", "ignored.txt", b"not a structure part"),
        ("file", "noext", &nacl),
        ("file", "binary.cif", &[0xff, 0xfe, 0x00]),
    ]);
    let (s, v, _) = send(app(), post("/api/predict", body)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let a = v.as_array().unwrap();
    assert_eq!(a.len(), 4);
    assert_eq!(a[0]["id"], "bad.cif");
    let msg = a[0]["error"].as_str().unwrap();
    assert!(msg.contains("bad.cif") && !msg.contains('\n'), "{msg}");
    assert_eq!(
        (&a[1]["id"], &a[1]["formula"]),
        (&"NaCl.cif".into(), &"NaCl".into())
    );
    assert_eq!(a[2]["id"], "noext");
    assert_eq!(a[2]["mean"], a[1]["mean"]);
    assert!(a[3]["error"].as_str().unwrap().contains("UTF-8"));
}

#[tokio::test]
async fn bad_requests_are_400() {
    let body = multipart(&[("other", "x.cif", b"x")]);
    let (s, v, _) = send(app(), post("/api/predict", body)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["error"].as_str().unwrap().contains("file"), "{v}");
    let (s, v, _) = send(app(), post("/api/predict", multipart(&[]))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    for q in ["temperature=-5", "temperature=abc", "temperature=NaN"] {
        let body = multipart(&[("file", "x.cif", b"x")]);
        let (s, v, _) = send(app(), post(&format!("/api/predict?{q}"), body)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}");
        assert!(v["error"].is_string(), "{q}: {v}");
    }
    let not_multipart = Request::post("/api/predict")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    let (s, v, _) = send(app(), not_multipart).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["error"].is_string());
}

#[tokio::test]
async fn limits_give_413() {
    let config = ServeConfig {
        max_body: 4096,
        max_files: 2,
        ..ServeConfig::default()
    };
    let big = vec![b'x'; 8192];
    // Declared length past the limit: refused before reading (tower-http).
    let body = multipart(&[("file", "big.cif", &big)]);
    let mut declared = post("/api/predict", body.clone());
    declared
        .headers_mut()
        .insert(header::CONTENT_LENGTH, body.len().into());
    let (s, v, _) = send(app_with(config.clone()).0, declared).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(v["error"].as_str().unwrap().contains("limit"), "{v}");
    // Streamed without a length: cut off while reading.
    let chunks: Vec<Result<Bytes, Infallible>> = multipart(&[("file", "big.cif", &big)])
        .chunks(1000)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let streamed = Body::from_stream(futures_util::stream::iter(chunks));
    let (s, v, _) = send(app_with(config.clone()).0, post("/api/predict", streamed)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert!(v["error"].is_string());
    let three = multipart(&[
        ("file", "a", b"x"),
        ("file", "b", b"x"),
        ("file", "c", b"x"),
    ]);
    let (s, v, _) = send(app_with(config).0, post("/api/predict", three)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(v["error"].as_str().unwrap().contains("2 files"), "{v}");
}

/// A body that sends `head` and then waits for `rest` (sent through the returned channel).
fn held_body(head: Vec<u8>) -> (Body, tokio::sync::oneshot::Sender<Vec<u8>>) {
    let (tx, rx) = tokio::sync::oneshot::channel::<Vec<u8>>();
    let first = futures_util::stream::once(async move { Ok::<_, Infallible>(Bytes::from(head)) });
    let rest = futures_util::stream::once(async move {
        Ok::<_, Infallible>(Bytes::from(rx.await.unwrap_or_default()))
    });
    (
        Body::from_stream(futures_util::StreamExt::chain(first, rest)),
        tx,
    )
}

/// With a queue of one, a second request while the first is admitted gets 503 and
/// `Retry-After`; once the first is answered, the next is served.
#[tokio::test]
async fn full_queue_gives_503_with_retry_after() {
    let (app, state) = app_with(ServeConfig {
        queue: 1,
        workers: 1,
        ..ServeConfig::default()
    });
    let nacl = std::fs::read(nacl_path()).unwrap();
    let full = multipart(&[("file", "NaCl.cif", &nacl)]);
    let (head, tail) = full.split_at(40);
    let (body, release) = held_body(head.to_vec());
    let first = tokio::spawn(app.clone().oneshot(post("/api/predict", body)));
    for _ in 0..500 {
        if state.in_flight() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(state.in_flight(), 1);
    let (s, v, h) = send(app.clone(), post("/api/predict", full.clone())).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert!(h.contains_key(header::RETRY_AFTER));
    // Answered before its body was read: the connection is closed, and the client told so.
    assert_eq!(h[header::CONNECTION], "close");
    assert!(v["error"].as_str().unwrap().contains("queue"), "{v}");
    release.send(tail.to_vec()).unwrap();
    let r = first.await.unwrap().unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(state.in_flight(), 0);
    let (s, _, _) = send(app, post("/api/predict", full)).await;
    assert_eq!(s, StatusCode::OK);
}

/// An upload that does not finish within the time limit is answered 408 and frees its place.
#[tokio::test]
async fn slow_upload_times_out() {
    let (app, state) = app_with(ServeConfig {
        timeout: Duration::from_millis(200),
        ..ServeConfig::default()
    });
    let (body, _release) = held_body(multipart(&[("file", "a.cif", b"x")])[..30].to_vec());
    let (s, v, _) = send(app, post("/api/predict", body)).await;
    assert_eq!(s, StatusCode::REQUEST_TIMEOUT, "{v}");
    assert!(v["error"].as_str().unwrap().contains("limit"));
    assert_eq!(state.in_flight(), 0);
}

/// `serve` on a real port of 127.0.0.1: a raw HTTP/1.1 request is answered, and the server
/// stops when its shutdown future completes.
#[tokio::test]
async fn serves_on_a_bound_port_and_shuts_down() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let config = ServeConfig::default();
    let state = Arc::new(ServeState::new(predictor(), &config, None));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(dos_serve::serve(listener, state, async {
        stopped.await.ok();
    }));
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(b"GET /api/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("{\"status\":\"ok\"}"), "{answer}");
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

/// A prediction that runs past the time limit is answered 503 with `Retry-After`; the work
/// stops at its next chunk and its place in the queue is given back.
#[tokio::test]
async fn slow_prediction_times_out_and_frees_the_queue() {
    let (app, state) = app_with(ServeConfig {
        timeout: Duration::from_millis(100),
        workers: 1,
        ..ServeConfig::default()
    });
    let nacl = std::fs::read(nacl_path()).unwrap();
    let names: Vec<String> = (0..256).map(|k| format!("NaCl-{k}.cif")).collect();
    let parts: Vec<(&str, &str, &[u8])> = names
        .iter()
        .map(|n| ("file", n.as_str(), nacl.as_slice()))
        .collect();
    let (s, v, h) = send(app, post("/api/predict", multipart(&parts))).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert!(h.contains_key(header::RETRY_AFTER));
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("prediction took longer"),
        "{v}"
    );
    for _ in 0..1000 {
        if state.in_flight() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(state.in_flight(), 0);
}
