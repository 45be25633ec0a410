//! A real SMTP server for tests: MailDev (installed by scripts/maildev.sh, which the test
//! command runs), one private instance per test on free ports, read through its HTTP API.
//! A test that needs it fails when it is missing: there is no quiet skip.

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct MailDev {
    child: Child,
    pub smtp_port: u16,
    api: String,
    client: reqwest::Client,
}

fn maildev_bin() -> PathBuf {
    let path = std::env::var_os("MAILDEV_BIN").map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../.tools/maildev/node_modules/.bin/maildev")
        },
        PathBuf::from,
    );
    assert!(
        path.exists(),
        "MailDev is not installed at {}: run scripts/maildev.sh (./scripts/test.sh does)",
        path.display()
    );
    path
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("finding a free port")
}

impl MailDev {
    pub async fn start() -> Self {
        Self::start_on(free_port()).await
    }

    pub async fn start_on(smtp_port: u16) -> Self {
        Self::start_with(smtp_port, &[]).await
    }

    /// Starts MailDev with its SMTP side on `smtp_port` (and `extra` options: TLS, users) and
    /// waits until its API answers.
    pub async fn start_with(smtp_port: u16, extra: &[&str]) -> Self {
        yigong::webhooks::install_crypto_provider();
        let web_port = free_port();
        let child = Command::new(maildev_bin())
            .args(["--ip", "127.0.0.1", "--web-ip", "127.0.0.1", "--silent"])
            .args(["-s", &smtp_port.to_string(), "-w", &web_port.to_string()])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting MailDev");
        let server = Self {
            child,
            smtp_port,
            api: format!("http://127.0.0.1:{web_port}"),
            client: reqwest::Client::new(),
        };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            let healthy = server
                .client
                .get(format!("{}/api/healthz", server.api))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            let smtp_up = std::net::TcpStream::connect(("127.0.0.1", smtp_port)).is_ok();
            if healthy && smtp_up {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("MailDev did not come up within 30 s");
    }

    pub fn smtp_url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.smtp_port)
    }

    /// Every mail received so far (MailDev's parsed form: to, subject, text, html, headers, id).
    pub async fn emails(&self) -> Vec<Value> {
        self.client
            .get(format!("{}/api/email", self.api))
            .send()
            .await
            .expect("asking MailDev")
            .json::<Vec<Value>>()
            .await
            .expect("reading MailDev's list")
    }

    /// The raw message as received (headers exactly as sent).
    pub async fn source(&self, id: &str) -> String {
        self.client
            .get(format!("{}/api/email/{id}/source", self.api))
            .send()
            .await
            .expect("asking MailDev")
            .text()
            .await
            .expect("reading the source")
    }

    /// Waits until at least `count` mails arrived.
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let emails = self.emails().await;
            if emails.len() >= count || started.elapsed() > within {
                return emails;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for MailDev {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The header block of a raw message, unfolded into (lower-case name, value) pairs.
pub fn headers(source: &str) -> Vec<(String, String)> {
    let head = source
        .split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .replace("\r\n ", " ")
        .replace("\r\n\t", " ");
    head.split("\r\n")
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect()
}

/// Recipients of a parsed mail.
pub fn recipients(email: &Value) -> Vec<String> {
    email["to"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|to| to["address"].as_str().map(str::to_owned))
        .collect()
}
