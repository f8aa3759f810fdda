//! The TLS probe: connect, complete a handshake, and judge the server's certificate: its chain
//! and hostname (through rustls' WebPKI verifier) and how long until it expires.
//!
//! The handshake uses a verifier that wraps [`WebPkiServerVerifier`] and records its verdict
//! instead of aborting on it, so a certificate with a broken chain or the wrong name still
//! reports its expiry: the on-call engineer sees both problems at once.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use jiff::Timestamp;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tocsin_core::check::{CheckOutcome, TlsCheck};
use tocsin_core::format_duration;

use crate::{describe_io, elapsed_ms, one_line, split_host_port, within};

const DAY: i64 = 86_400;

/// Handshakes with `check.host` and judges its certificate at `now`, trusting `roots`.
pub async fn check(roots: &Arc<RootCertStore>, check: &TlsCheck, now: Timestamp) -> CheckOutcome {
    let started = tokio::time::Instant::now();
    let verdict = within(check.timeout, handshake(roots, check, now)).await;
    let latency_ms = elapsed_ms(started);
    match verdict {
        Ok(()) => CheckOutcome::up(None, latency_ms),
        Err(error) => CheckOutcome::down(None, latency_ms, error),
    }
}

async fn handshake(
    roots: &Arc<RootCertStore>,
    check: &TlsCheck,
    now: Timestamp,
) -> Result<(), String> {
    let (host, port) = split_host_port(&check.host, Some(443))?;
    let server_name = ServerName::try_from(host.clone())
        .map_err(|_| format!("{host:?} is not a valid host name"))?;
    let verifier = Arc::new(Recording::new(roots.clone()));
    let config = client_config(verifier.clone(), now)?;

    let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|err| describe_io(&err))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let handshake = connector.connect(server_name, tcp).await;

    let seen = verifier.take();
    let Some(seen) = seen else {
        // The handshake stopped before the server showed a certificate.
        let reason = match handshake {
            Err(err) => crate::root_cause(&err),
            Ok(_) => "the server sent no certificate".to_owned(),
        };
        return Err(format!("TLS handshake failed: {reason}"));
    };
    if let Err(err) = handshake {
        return Err(format!("TLS handshake failed: {}", crate::root_cause(&err)));
    }
    judge(&seen, &host, check.expires_within, now)
}

/// The verdict on a certificate the server presented.
fn judge(seen: &Seen, host: &str, expires_within: Duration, now: Timestamp) -> Result<(), String> {
    let not_after = not_after(&seen.leaf)?;
    let left = not_after - now.as_second();
    let date = Timestamp::from_second(not_after)
        .map(|at| at.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|_| not_after.to_string());
    if left <= 0 {
        return Err(format!(
            "certificate expired {} ago (on {date})",
            days(-left)
        ));
    }
    let expiry = format!("expires in {} (on {date})", days(left));
    if let Some(problem) = &seen.problem {
        return Err(format!("{}; it {expiry}", describe_problem(problem, host)));
    }
    let within = i64::try_from(expires_within.as_secs()).unwrap_or(i64::MAX);
    if left < within {
        return Err(format!(
            "certificate {expiry}, within expires_within {}",
            format_duration(expires_within)
        ));
    }
    Ok(())
}

/// "3 days", "1 day", "less than a day" (whole days, rounded down).
fn days(seconds: i64) -> String {
    match seconds / DAY {
        0 => "less than a day".to_owned(),
        1 => "1 day".to_owned(),
        n => format!("{n} days"),
    }
}

/// The leaf certificate's notAfter, in seconds since the epoch.
fn not_after(der: &[u8]) -> Result<i64, String> {
    let (_, certificate) = x509_parser::parse_x509_certificate(der).map_err(|err| {
        format!(
            "the server's certificate cannot be read: {}",
            one_line(&err.to_string())
        )
    })?;
    Ok(certificate.validity().not_after.timestamp())
}

/// Why the chain or name check failed, in the words an engineer searches for.
fn describe_problem(problem: &rustls::Error, host: &str) -> String {
    match problem {
        rustls::Error::InvalidCertificate(error) => match error {
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                format!("certificate is not valid for {host}")
            }
            CertificateError::UnknownIssuer => {
                "certificate chain is not trusted (unknown issuer)".to_owned()
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "certificate is not valid yet".to_owned()
            }
            CertificateError::BadSignature => "certificate chain has a bad signature".to_owned(),
            other => format!(
                "certificate is invalid: {}",
                one_line(&format!("{other:?}"))
            ),
        },
        rustls::Error::General(message) => format!("certificate is invalid: {}", one_line(message)),
        other => format!("certificate is invalid: {}", one_line(&other.to_string())),
    }
}

/// A client configuration using aws-lc-rs, the check's `now` as the time, and our verifier.
fn client_config(verifier: Arc<Recording>, now: Timestamp) -> Result<ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ClientConfig::builder_with_details(provider, Arc::new(FixedTime(now)))
        .with_safe_default_protocol_versions()
        .map_err(|err| format!("TLS setup failed: {err}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(config)
}

/// The time the checks reads certificates at: the engine's clock, never the machine's.
#[derive(Debug)]
pub(crate) struct FixedTime(pub(crate) Timestamp);

impl rustls::time_provider::TimeProvider for FixedTime {
    fn current_time(&self) -> Option<UnixTime> {
        let seconds = u64::try_from(self.0.as_second()).ok()?;
        Some(UnixTime::since_unix_epoch(Duration::from_secs(seconds)))
    }
}

/// What the server presented, and what WebPKI thought of it.
struct Seen {
    leaf: Vec<u8>,
    problem: Option<rustls::Error>,
}

/// Runs WebPKI's chain and name checks, records the verdict and the leaf, and lets the handshake
/// finish either way (the probe sends nothing over the connection, so nothing is exposed).
/// Handshake signatures are still verified by WebPKI's rules.
#[derive(Debug)]
pub(crate) struct Recording {
    inner: Result<Arc<WebPkiServerVerifier>, String>,
    provider: Arc<CryptoProvider>,
    seen: Mutex<Option<(Vec<u8>, Option<rustls::Error>)>>,
}

impl Recording {
    pub(crate) fn new(roots: Arc<RootCertStore>) -> Self {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let inner = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
            .build()
            .map_err(|err| format!("no trusted certificate authorities ({err})"));
        Recording {
            inner,
            provider,
            seen: Mutex::new(None),
        }
    }

    fn take(&self) -> Option<Seen> {
        let (leaf, problem) = self
            .seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()?;
        Some(Seen { leaf, problem })
    }
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let problem = match &self.inner {
            Ok(inner) => inner
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                .err(),
            Err(reason) => Some(rustls::Error::General(reason.clone())),
        };
        *self.seen.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((end_entity.to_vec(), problem));
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::days;

    #[test]
    fn days_round_down() {
        assert_eq!(days(3 * 86_400 + 5), "3 days");
        assert_eq!(days(86_400), "1 day");
        assert_eq!(days(3_600), "less than a day");
    }
}
