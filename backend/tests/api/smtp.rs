//! SMTP transports and refusals: implicit TLS with credentials against MailDev, STARTTLS with
//! credentials against aiosmtpd (MailDev never offers STARTTLS),
//! using a certificate from a private CA (trusted through SMTP_CA_FILE, refused without it), and
//! permanent refusals from a scripted SMTP peer (MailDev accepts every address, so a peer that
//! answers 550 5.1.1 stands in for a server that knows its mailboxes).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::EntityTrait;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use yigong::clock::{Clock, SystemClock};
use yigong::config::Secret;
use yigong::store::entities::{email_suppression, outbox_mail};

use crate::digests::{FixedClock, pass};
use crate::helpers::{TestApp, spawn_app_with};
use crate::maildev::{MailDev, free_port};

/// A private CA and a certificate for `localhost` signed by it, made with openssl.
fn certificates(dir: &Path) {
    let run = |args: &[&str]| {
        let status = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("running openssl");
        assert!(
            status.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&status.stderr)
        );
    };
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Yigong Test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
}

async fn app_for(smtp_url: String, ca: Option<std::path::PathBuf>) -> TestApp {
    spawn_app_with(move |settings| {
        settings.notify.smtp_url = Some(Secret::new(smtp_url));
        settings.notify.smtp_ca_file = ca;
    })
    .await
}

async fn app_with_ca(smtp_url: String, ca: Option<std::path::PathBuf>) -> TestApp {
    let app = app_for(smtp_url, ca).await;
    yigong::bench::digests::populate(app.db(), 2, SystemClock.now())
        .await
        .unwrap();
    app
}

#[tokio::test]
async fn implicit_tls_with_credentials_delivers_and_an_untrusted_certificate_or_a_wrong_password_does_not()
 {
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let cert = dir.path().join("server.pem");
    let key = dir.path().join("server.key");
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let auth = ["--incoming-user", "yigong", "--incoming-pass", "s3cret"];
    let ca = Some(dir.path().join("ca.pem"));

    let implicit_port = free_port();
    let mut options = vec![
        "--incoming-secure",
        "--incoming-cert",
        cert,
        "--incoming-key",
        key,
    ];
    options.extend(auth);
    let implicit = MailDev::start_with(implicit_port, &options).await;
    let url = format!("smtps://yigong:s3cret@localhost:{implicit_port}");

    let untrusted = app_with_ca(url.clone(), None).await;
    let refused = pass(&untrusted, &SystemClock).await;
    assert_eq!(
        (refused.mail.sent, refused.mail.deferred),
        (0, 2),
        "{refused:?}"
    );
    let rows = outbox_mail::Entity::find()
        .all(untrusted.db())
        .await
        .unwrap();
    assert!(
        rows.iter().all(|m| m.status == "pending"),
        "a TLS failure is temporary"
    );

    let trusted = app_with_ca(url, ca.clone()).await;
    let sent = pass(&trusted, &SystemClock).await;
    let errors: Vec<Option<String>> = outbox_mail::Entity::find()
        .all(trusted.db())
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.last_error)
        .collect();
    assert_eq!(sent.mail.sent, 2, "{sent:?} {errors:?}");
    assert_eq!(implicit.wait_for(2, Duration::from_secs(10)).await.len(), 2);

    let wrong = app_with_ca(
        format!("smtps://yigong:wrong@localhost:{implicit_port}"),
        ca,
    )
    .await;
    let refused = pass(&wrong, &SystemClock).await;
    assert_eq!(
        (refused.mail.sent, refused.mail.failed),
        (0, 0),
        "bad credentials are ours to fix, not the mail's: {refused:?}"
    );
    assert_eq!(refused.mail.deferred, 2);
}

/// aiosmtpd requiring STARTTLS and AUTH (scripts/starttls-smtp.py); `DELIVERED` lines it prints
/// are collected.
struct StarttlsServer {
    child: std::process::Child,
    delivered: Arc<Mutex<Vec<String>>>,
}

impl Drop for StarttlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn starttls_server(port: u16, dir: &Path) -> StarttlsServer {
    let python = std::env::var_os("AIOSMTPD_PYTHON").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools/aiosmtpd/bin/python"),
        PathBuf::from,
    );
    assert!(
        python.exists(),
        "aiosmtpd is not installed at {}: run scripts/aiosmtpd.sh (./scripts/test.sh does)",
        python.display()
    );
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/starttls-smtp.py");
    let mut child = Command::new(python)
        .arg(script)
        .arg(port.to_string())
        .arg(dir.join("server.pem"))
        .arg(dir.join("server.key"))
        .args(["yigong", "s3cret"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting aiosmtpd");
    let stdout = child.stdout.take().expect("its output");
    let delivered = Arc::new(Mutex::new(Vec::new()));
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let lines = delivered.clone();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)).map_while(Result::ok) {
            if line == "READY" {
                let _ = ready_tx.send(());
            } else if let Some(to) = line.strip_prefix("DELIVERED ") {
                lines.lock().unwrap().push(to.to_owned());
            }
        }
    });
    ready_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("aiosmtpd did not come up");
    StarttlsServer { child, delivered }
}

#[tokio::test]
async fn starttls_with_credentials_delivers_and_plaintext_is_never_used() {
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let port = free_port();
    let server = starttls_server(port, dir.path());
    let ca = Some(dir.path().join("ca.pem"));

    let app = app_with_ca(
        format!("smtp://yigong:s3cret@localhost:{port}?tls=required"),
        ca.clone(),
    )
    .await;
    let report = pass(&app, &SystemClock).await;
    assert_eq!(report.mail.sent, 2, "{report:?}");
    let mut delivered = server.delivered.lock().unwrap().clone();
    delivered.sort();
    assert_eq!(delivered.len(), 2, "{delivered:?}");
    assert!(
        delivered.iter().all(|to| to.contains("@lab.bench.example")),
        "{delivered:?}"
    );

    // Without TLS the server will not take mail; it stays pending, nothing is lost.
    let plain = app_with_ca(format!("smtp://localhost:{port}"), None).await;
    let refused = pass(&plain, &SystemClock).await;
    assert_eq!(
        (refused.mail.sent, refused.mail.deferred),
        (0, 2),
        "{refused:?}"
    );
    assert_eq!(server.delivered.lock().unwrap().len(), 2);
}

/// An SMTP peer that refuses every recipient: `member0@…` as an unknown mailbox (550 5.1.1),
/// everyone else by policy (554 5.7.1).
async fn refusing_peer() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 refuser ESMTP\r\n").await.ok();
                while let Ok(Some(line)) = lines.next_line().await {
                    let command = line.to_ascii_uppercase();
                    let reply: &[u8] = if command.starts_with("EHLO") {
                        b"250-refuser\r\n250 8BITMIME\r\n"
                    } else if command.starts_with("MAIL FROM")
                        || command.starts_with("RSET")
                        || command.starts_with("NOOP")
                    {
                        b"250 2.0.0 ok\r\n"
                    } else if command.starts_with("RCPT TO") && line.contains("member0@") {
                        b"550 5.1.1 Recipient address rejected: User unknown\r\n"
                    } else if command.starts_with("RCPT TO") {
                        b"554 5.7.1 Rejected by policy\r\n"
                    } else if command.starts_with("QUIT") {
                        write.write_all(b"221 2.0.0 bye\r\n").await.ok();
                        break;
                    } else {
                        b"502 5.5.2 not implemented\r\n"
                    };
                    if write.write_all(reply).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn a_permanent_refusal_fails_the_mail_and_an_unknown_mailbox_is_suppressed() {
    let port = refusing_peer().await;
    let app = app_with_ca(format!("smtp://127.0.0.1:{port}"), None).await;
    let report = pass(&app, &SystemClock).await;
    assert_eq!(
        (
            report.mail.suppressed,
            report.mail.failed,
            report.mail.deferred
        ),
        (1, 1, 0),
        "{report:?}"
    );
    let rows = outbox_mail::Entity::find().all(app.db()).await.unwrap();
    assert!(
        rows.iter()
            .all(|m| m.status == "failed" && m.last_error.is_some()),
        "{rows:?}"
    );
    let suppressed = email_suppression::Entity::find()
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(suppressed.len(), 1);
    assert!(
        suppressed[0].email.starts_with("member0@"),
        "{suppressed:?}"
    );
    // A later pass, even a week on, does not compose for the suppressed address again.
    let later = pass(
        &app,
        &FixedClock(SystemClock.now() + chrono::Duration::days(7)),
    )
    .await;
    assert_eq!(later.compose.suppressed, 1, "{later:?}");
}
