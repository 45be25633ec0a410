//! Configuration: command-line flags over environment variables over an optional TOML file over
//! defaults. Secrets are wrapped so they never reach a log line or a `Debug` print.

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// A value that must not be printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> std::fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Options every subcommand takes (flags, or the environment variable named beside each).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CommonArgs {
    /// Directory for the SQLite database, the search index, the signing key and outgoing mail.
    #[arg(long, global = true, env = "YIGONG_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL: `sqlite://…` (default: a file in the data directory) or `postgres://…`.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Optional TOML configuration file (default: `yigong.toml` in the data directory, if present).
    #[arg(long, global = true, env = "YIGONG_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Options of `yigong serve`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "YIGONG_BIND", value_name = "ADDR")]
    pub bind: Option<String>,
    /// The address people use to reach this server (for links in mail and documents).
    #[arg(long, env = "YIGONG_PUBLIC_BASE_URL", value_name = "URL")]
    pub public_base_url: Option<String>,
    /// File holding the JWT signing key (env `YIGONG_JWT_SECRET` gives the key itself).
    #[arg(long, env = "YIGONG_JWT_SECRET_FILE", value_name = "FILE")]
    pub jwt_secret_file: Option<PathBuf>,
    /// Largest accepted JSON body in bytes.
    #[arg(long, env = "YIGONG_MAX_BODY_BYTES", value_name = "BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Load the demo data set if the database holds no organisations yet.
    #[arg(long)]
    pub demo: bool,
    #[command(flatten)]
    pub notify: NotifyArgs,
}

/// Options of mail and webhook delivery (`yigong serve` and `yigong digest`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct NotifyArgs {
    /// SMTP server: `smtp://host:25` (plain), `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS) or `smtps://user:pass@host:465` (implicit TLS). Without one, mail is written
    /// as .eml files under the data directory.
    #[arg(long, env = "SMTP_URL", value_name = "URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// PEM file of extra certificate authorities to trust for the SMTP server's TLS (an internal
    /// hospital CA, say), besides the Mozilla roots.
    #[arg(long, env = "SMTP_CA_FILE", value_name = "FILE")]
    pub smtp_ca_file: Option<PathBuf>,
    /// The From address of mail, e.g. `医工 Yigong <noreply@example.org>`.
    #[arg(long, env = "YIGONG_MAIL_FROM", value_name = "MAILBOX")]
    pub mail_from: Option<String>,
    /// Seconds before the first retry of a temporary failure (doubling after each, with jitter).
    #[arg(long, env = "YIGONG_RETRY_BASE_SECONDS", value_name = "SECONDS")]
    pub retry_base_seconds: Option<u64>,
    /// Seconds a sender holds claimed mail or webhook deliveries before others may take them.
    #[arg(long, env = "YIGONG_LEASE_SECONDS", value_name = "SECONDS")]
    pub lease_seconds: Option<u64>,
    /// Seconds between background passes of `yigong serve` (compose, send, deliver).
    #[arg(long, env = "YIGONG_WORKER_INTERVAL_SECONDS", value_name = "SECONDS")]
    pub worker_interval_seconds: Option<u64>,
    /// Mails or webhooks in flight at once.
    #[arg(long, env = "YIGONG_DELIVERY_CONCURRENCY", value_name = "N")]
    pub delivery_concurrency: Option<usize>,
    /// Development only: let webhooks use plain http and reach loopback or private addresses.
    #[arg(long, env = "YIGONG_WEBHOOKS_ALLOW_INTERNAL")]
    pub webhooks_allow_internal: bool,
}

/// The optional configuration file; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    bind: Option<String>,
    public_base_url: Option<String>,
    jwt_secret: Option<String>,
    jwt_secret_file: Option<PathBuf>,
    max_body_bytes: Option<usize>,
    access_token_seconds: Option<i64>,
    match_limit: Option<usize>,
    smtp_url: Option<String>,
    smtp_ca_file: Option<PathBuf>,
    mail_from: Option<String>,
    retry_base_seconds: Option<u64>,
    lease_seconds: Option<u64>,
    worker_interval_seconds: Option<u64>,
    delivery_concurrency: Option<usize>,
    webhooks_allow_internal: Option<bool>,
}

pub const DEFAULT_DATA_DIR: &str = "./data";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;
pub const DEFAULT_MATCH_LIMIT: usize = 10;
const JWT_KEY_FILE: &str = "jwt-signing.key";

/// Everything the application needs to know, resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub database_url: Secret<String>,
    pub bind: String,
    pub public_base_url: String,
    pub jwt_secret: Secret<Vec<u8>>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub access_token_seconds: i64,
    pub refresh_token_days: i64,
    pub max_body_bytes: usize,
    /// How many teams are proposed for each order.
    pub match_limit: usize,
    pub notify: NotifySettings,
}

/// Mail and webhook delivery, resolved.
#[derive(Debug, Clone)]
pub struct NotifySettings {
    pub smtp_url: Option<Secret<String>>,
    pub smtp_ca_file: Option<PathBuf>,
    pub mail_from: String,
    pub retry_base: std::time::Duration,
    pub max_attempts: u32,
    pub lease: std::time::Duration,
    pub worker_interval: std::time::Duration,
    pub concurrency: usize,
    pub webhooks_allow_internal: bool,
}

impl NotifySettings {
    fn resolve(args: &NotifyArgs, file: &FileConfig, public_base_url: &str) -> Self {
        use std::time::Duration;
        // A mail domain needs a name: an address like 127.0.0.1 becomes `localhost`.
        let host = url::Url::parse(public_base_url)
            .ok()
            .and_then(|u| match u.host() {
                Some(url::Host::Domain(name)) => Some(name.to_owned()),
                _ => None,
            })
            .unwrap_or_else(|| "localhost".to_owned());
        Self {
            smtp_url: args
                .smtp_url
                .clone()
                .or(file.smtp_url.clone())
                .filter(|url| !url.trim().is_empty())
                .map(Secret::new),
            smtp_ca_file: args.smtp_ca_file.clone().or(file.smtp_ca_file.clone()),
            mail_from: args
                .mail_from
                .clone()
                .or(file.mail_from.clone())
                .unwrap_or_else(|| format!("医工 Yigong <noreply@{host}>")),
            retry_base: Duration::from_secs(
                args.retry_base_seconds
                    .or(file.retry_base_seconds)
                    .unwrap_or(60)
                    .max(1),
            ),
            max_attempts: 10,
            lease: Duration::from_secs(
                args.lease_seconds
                    .or(file.lease_seconds)
                    .unwrap_or(300)
                    .max(1),
            ),
            worker_interval: Duration::from_secs(
                args.worker_interval_seconds
                    .or(file.worker_interval_seconds)
                    .unwrap_or(30)
                    .max(1),
            ),
            concurrency: args
                .delivery_concurrency
                .or(file.delivery_concurrency)
                .unwrap_or(16)
                .clamp(1, 64),
            webhooks_allow_internal: args.webhooks_allow_internal
                || file.webhooks_allow_internal.unwrap_or(false),
        }
    }
}

/// What commands that only touch storage (migrate, seed, admin) need.
#[derive(Debug, Clone)]
pub struct StorageSettings {
    pub data_dir: PathBuf,
    pub database_url: Secret<String>,
}

impl StorageSettings {
    /// Resolves the data directory (creating it) and the database URL.
    pub fn resolve(common: &CommonArgs) -> anyhow::Result<Self> {
        Self::from_file(common, &load_file(common)?)
    }

    fn from_file(common: &CommonArgs, file: &FileConfig) -> anyhow::Result<Self> {
        let data_dir = common
            .data_dir
            .clone()
            .or(file.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
        let database_url = common
            .database_url
            .clone()
            .or(file.database_url.clone())
            .unwrap_or_else(|| default_sqlite_url(&data_dir));
        Ok(Self {
            data_dir,
            database_url: Secret::new(database_url),
        })
    }
}

impl StorageSettings {
    /// Where the search index lives.
    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }
}

impl Settings {
    /// Where the search index lives.
    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }

    /// Where mail goes as .eml files when no SMTP server is configured.
    pub fn mail_dir(&self) -> PathBuf {
        self.data_dir.join("mail")
    }

    /// Resolves every setting, creating the data directory and, if no key was given, the JWT
    /// signing key inside it.
    pub fn resolve(common: &CommonArgs, serve: &ServeArgs) -> anyhow::Result<Self> {
        let file = load_file(common)?;
        let StorageSettings {
            data_dir,
            database_url,
        } = StorageSettings::from_file(common, &file)?;
        let bind = serve
            .bind
            .clone()
            .or(file.bind.clone())
            .unwrap_or_else(|| DEFAULT_BIND.to_owned());
        let public_base_url = serve
            .public_base_url
            .clone()
            .or(file.public_base_url.clone())
            .unwrap_or_else(|| format!("http://{bind}"))
            .trim_end_matches('/')
            .to_owned();
        let jwt_secret = resolve_jwt_secret(serve, &file, &data_dir)?;
        let notify = NotifySettings::resolve(&serve.notify, &file, &public_base_url);
        Ok(Self {
            database_url,
            bind,
            public_base_url,
            jwt_secret,
            jwt_issuer: "yigong".to_owned(),
            jwt_audience: "yigong-api".to_owned(),
            access_token_seconds: file
                .access_token_seconds
                .unwrap_or(15 * 60)
                .clamp(60, 15 * 60),
            refresh_token_days: 30,
            max_body_bytes: serve
                .max_body_bytes
                .or(file.max_body_bytes)
                .unwrap_or(DEFAULT_MAX_BODY_BYTES),
            match_limit: file.match_limit.unwrap_or(DEFAULT_MATCH_LIMIT).clamp(1, 50),
            notify,
            data_dir,
        })
    }

    /// The database URL with any password masked, for logs.
    pub fn database_url_for_logs(&self) -> String {
        redact_url_password(self.database_url.expose())
    }
}

fn default_sqlite_url(data_dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", data_dir.join("yigong.db").display())
}

fn load_file(common: &CommonArgs) -> anyhow::Result<FileConfig> {
    let (path, required) = match &common.config {
        Some(path) => (path.clone(), true),
        None => (
            common
                .data_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR))
                .join("yigong.toml"),
            false,
        ),
    };
    if !path.exists() {
        if required {
            bail!("configuration file {} does not exist", path.display());
        }
        return Ok(FileConfig::default());
    }
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

fn resolve_jwt_secret(
    serve: &ServeArgs,
    file: &FileConfig,
    data_dir: &Path,
) -> anyhow::Result<Secret<Vec<u8>>> {
    if let Some(path) = serve.jwt_secret_file.as_ref() {
        return read_key_file(path);
    }
    if let Ok(secret) = std::env::var("YIGONG_JWT_SECRET") {
        return checked_secret(secret.into_bytes());
    }
    if let Some(secret) = &file.jwt_secret {
        return checked_secret(secret.clone().into_bytes());
    }
    if let Some(path) = &file.jwt_secret_file {
        return read_key_file(path);
    }
    let generated = data_dir.join(JWT_KEY_FILE);
    if generated.exists() {
        return read_key_file(&generated);
    }
    let mut key = [0u8; 64];
    rand::rng().fill_bytes(&mut key);
    write_private_file(&generated, STANDARD.encode(key).as_bytes())?;
    tracing::warn!(
        path = %generated.display(),
        "no JWT signing key configured; generated one. 未配置 JWT 签名密钥，已生成。Set YIGONG_JWT_SECRET_FILE in production."
    );
    read_key_file(&generated)
}

fn read_key_file(path: &Path) -> anyhow::Result<Secret<Vec<u8>>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the JWT signing key {}", path.display()))?;
    checked_secret(text.trim().as_bytes().to_vec())
}

fn checked_secret(bytes: Vec<u8>) -> anyhow::Result<Secret<Vec<u8>>> {
    if bytes.len() < 32 {
        bail!("the JWT signing key must be at least 32 bytes long");
    }
    Ok(Secret::new(bytes))
}

fn write_private_file(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents)
        .with_context(|| format!("writing {}", path.display()))
}

fn redact_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_database_urls_are_masked() {
        assert_eq!(
            redact_url_password("postgres://app:s3cret@db:5432/yigong"),
            "postgres://app:***@db:5432/yigong"
        );
        assert_eq!(
            redact_url_password("sqlite://data/y.db"),
            "sqlite://data/y.db"
        );
    }

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "[redacted]");
    }

    #[test]
    fn flags_win_over_the_file_and_a_key_is_generated_once() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::write(
            dir.path().join("yigong.toml"),
            "bind = \"127.0.0.1:9999\"\nmax_body_bytes = 1000\n",
        )?;
        let common = CommonArgs {
            data_dir: Some(dir.path().to_path_buf()),
            ..Default::default()
        };
        let serve = ServeArgs {
            max_body_bytes: Some(2000),
            ..Default::default()
        };
        let first = Settings::resolve(&common, &serve)?;
        assert_eq!(first.bind, "127.0.0.1:9999");
        assert_eq!(first.max_body_bytes, 2000);
        assert!(first.database_url.expose().starts_with("sqlite://"));
        let second = Settings::resolve(&common, &serve)?;
        assert_eq!(first.jwt_secret, second.jwt_secret);
        Ok(())
    }
}
