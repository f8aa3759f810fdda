//! Probes `http://<target>/f/<i>` on a fresh connection each, `rate` a second for `seconds`,
//! and prints the process's CPU per probe over the window (after a warm-up of one second):
//! the floor under tocsin's HTTP probe, three ways.
//!
//!   probe-floor raw-ct|hyper-ct|reqwest-ct|reqwest-mt <host:port> <rate> <seconds>
//!
//! raw-ct:     tokio current-thread runtime, a hand-written GET over a TcpStream (no client).
//! hyper-ct:   hyper's HTTP/1 connection directly, no pool, driven in the probe's own task.
//! reqwest-ct: reqwest as tocsin builds it (no pool, no proxy), current-thread runtime.
//! reqwest-mt: the same on a two-worker multi-thread runtime (how tocsin's probes run today).

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn cpu_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("read /proc/self/stat");
    let after_comm = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = after_comm.split(' ').collect();
    // Fields 14 and 15 of proc(5), counted from the state (field 3) here.
    (fields[11].parse().unwrap(), fields[12].parse().unwrap())
}

async fn raw(target: String, i: u64) -> bool {
    let Ok(mut stream) = tokio::net::TcpStream::connect(&target).await else {
        return false;
    };
    let request = format!(
        "GET /f/{i} HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\nUser-Agent: floor\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).await.is_err() {
        return false;
    }
    let mut answer = Vec::with_capacity(512);
    stream.read_to_end(&mut answer).await.is_ok() && answer.starts_with(b"HTTP/1.1 200")
}

async fn hyper_direct(target: String, i: u64) -> bool {
    use http_body_util::BodyExt;
    let Ok(stream) = tokio::net::TcpStream::connect(&target).await else {
        return false;
    };
    let io = hyper_util::rt::TokioIo::new(stream);
    let Ok((mut sender, connection)) = hyper::client::conn::http1::handshake(io).await else {
        return false;
    };
    let request = hyper::Request::get(format!("/f/{i}"))
        .header("host", target.as_str())
        .header("user-agent", "floor")
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .expect("request");
    let exchange = async {
        let answer = sender.send_request(request).await.ok()?;
        let ok = answer.status().as_u16() == 200;
        let body = answer.into_body().collect().await.ok()?;
        Some(ok && !body.to_bytes().is_empty())
    };
    // The connection is driven beside the exchange, in the same task: no spawn.
    let (answer, _) = tokio::join!(exchange, connection.without_shutdown());
    answer.unwrap_or(false)
}

async fn with_client(client: reqwest::Client, target: String, i: u64) -> bool {
    match client.get(format!("http://{target}/f/{i}")).send().await {
        Ok(answer) => answer.status().as_u16() == 200 && answer.bytes().await.is_ok(),
        Err(_) => false,
    }
}

async fn run(mode: String, target: String, rate: u64, seconds: u64) {
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let gap = Duration::from_secs_f64(1.0 / rate as f64);
    let start = tokio::time::Instant::now();
    let warm_up = rate; // one second
    let total = warm_up + rate * seconds;
    let mut tasks = tokio::task::JoinSet::new();
    let mut window = None;
    for i in 0..total {
        if i == warm_up {
            window = Some((Instant::now(), cpu_ticks()));
        }
        tokio::time::sleep_until(start + gap * i as u32).await;
        let target = target.clone();
        if mode == "raw-ct" {
            tasks.spawn(raw(target, i));
        } else if mode == "hyper-ct" {
            tasks.spawn(hyper_direct(target, i));
        } else {
            tasks.spawn(with_client(client.clone(), target, i));
        }
        while tasks.try_join_next().is_some() {}
    }
    let mut failed = 0;
    while let Some(ok) = tasks.join_next().await {
        failed += u64::from(!ok.unwrap_or(false));
    }
    let (began, (user0, sys0)) = window.expect("window");
    let (user1, sys1) = cpu_ticks();
    let probes = rate * seconds;
    // CLK_TCK is 100 on Linux: a tick is 10,000 µs.
    let per = |ticks: u64| ticks as f64 * 10_000.0 / probes as f64;
    println!(
        "{{\"mode\":\"{mode}\",\"probes\":{probes},\"failed\":{failed},\"seconds\":{:.1},\"cpu_us_per_probe\":{:.1},\"user_us\":{:.1},\"sys_us\":{:.1}}}",
        began.elapsed().as_secs_f64(),
        per(user1 + sys1 - user0 - sys0),
        per(user1 - user0),
        per(sys1 - sys0)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, target, rate, seconds] = args.as_slice() else {
        eprintln!(
            "usage: probe-floor raw-ct|hyper-ct|reqwest-ct|reqwest-mt <host:port> <rate> <seconds>"
        );
        std::process::exit(2);
    };
    let mut runtime = if mode == "reqwest-mt" {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = runtime
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(
        mode.clone(),
        target.clone(),
        rate.parse().expect("rate"),
        seconds.parse().expect("seconds"),
    ));
}
