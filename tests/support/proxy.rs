//! A tiny forward proxy for tests: `CONNECT host:port` tunnels (what `HTTPS_PROXY` makes a
//! client send) and absolute-form requests (`GET http://host:port/…`, what `HTTP_PROXY` makes
//! it send). It records the first line of every request it is asked to carry, and only ever
//! connects to loopback addresses: a test must never reach a real host through it.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// A host name that only this proxy resolves (to 127.0.0.1): spotctl never sends a request
/// for a loopback address through a proxy, so a test of proxying names the fake this way.
pub const PROXIED_HOST: &str = "spotify.proxied.test";

/// `authority` with [`PROXIED_HOST`] replaced by 127.0.0.1.
fn resolve(authority: &str) -> String {
    match authority.strip_prefix(PROXIED_HOST) {
        Some(port) if port.starts_with(':') => format!("127.0.0.1{port}"),
        _ => authority.to_string(),
    }
}

/// A running proxy on 127.0.0.1; it stops when dropped.
pub struct TestProxy {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TestProxy {
    pub fn start() -> TestProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy: bind 127.0.0.1");
        let port = listener.local_addr().expect("proxy address").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen2, stop2) = (seen.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    let seen = seen2.clone();
                    std::thread::spawn(move || serve(conn, &seen));
                }
            }
        });
        TestProxy {
            port,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`, for `HTTPS_PROXY`/`HTTP_PROXY`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// First lines of the requests carried so far ("CONNECT 127.0.0.1:4431 HTTP/1.1").
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for TestProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(client: TcpStream, seen: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(match client.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    let mut head = String::new();
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        head.push_str(&line);
        if line == "\r\n" || head.len() > 64 * 1024 {
            break;
        }
    }
    let first = head.lines().next().unwrap_or("").to_string();
    let mut words = first.split(' ');
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let authority = if method == "CONNECT" {
        target.to_string()
    } else {
        match url::Url::parse(target) {
            Ok(u) => format!(
                "{}:{}",
                u.host_str().unwrap_or(""),
                u.port_or_known_default().unwrap_or(80)
            ),
            Err(_) => String::new(),
        }
    };
    if let Ok(mut s) = seen.lock() {
        s.push(first.clone());
    }
    let mut client = client;
    let upstream = resolve(&authority)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.find(|a| a.ip().is_loopback()))
        .and_then(|a| TcpStream::connect(a).ok());
    let Some(mut upstream) = upstream else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
        return;
    };
    if method == "CONNECT" {
        if client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .is_err()
        {
            return;
        }
    } else if upstream.write_all(head.as_bytes()).is_err() {
        return;
    }
    // Bytes the reader buffered past the head belong to the tunnel.
    let buffered = reader.buffer().to_vec();
    if upstream.write_all(&buffered).is_err() {
        return;
    }
    let (Ok(mut up_read), Ok(mut client_write)) = (upstream.try_clone(), client.try_clone()) else {
        return;
    };
    let down = std::thread::spawn(move || {
        let _ = std::io::copy(&mut up_read, &mut client_write);
        let _ = client_write.shutdown(std::net::Shutdown::Write);
    });
    let mut client_read = reader.into_inner();
    let _ = std::io::copy(&mut client_read, &mut upstream);
    let _ = upstream.shutdown(std::net::Shutdown::Write);
    let _ = down.join();
}
