//! GET / → "Hello, World!", on the same runtime shape as `tocsin serve` (multi-threaded tokio,
//! 2 workers, `axum::serve`). Usage: status-bench-hello [ADDR] (default 127.0.0.1:0); prints
//! `listening on http://ADDR` once bound.

use axum::Router;
use axum::routing::get;

fn main() {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:0".to_owned());
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async move {
            let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
            println!("listening on http://{}", listener.local_addr().expect("addr"));
            let app = Router::new().route("/", get(|| async { "Hello, World!" }));
            axum::serve(listener, app).await.expect("serve");
        });
}
