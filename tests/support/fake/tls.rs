//! HTTPS for the fake: a certificate authority made at test time (rcgen), a server certificate
//! for `127.0.0.1`/`localhost` signed by it, and a listener that does the TLS handshake and offers
//! HTTP/2 by ALPN. spotctl trusts the CA only through `SSL_CERT_FILE`, as it would a company
//! proxy's; without it the certificate is untrusted, like a TLS-inspecting proxy's.

use std::io;
use std::sync::Arc;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use super::net::{ConnInfo, CountingListener, KillableStream};

/// Which protocols the server offers by ALPN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alpn {
    /// `h2` and `http/1.1`: a client that can, speaks HTTP/2.
    H2AndHttp11,
    /// `http/1.1` only.
    Http11,
}

/// A test CA and the server certificate it signed.
pub struct TestCa {
    ca_pem: String,
    cert: CertificateDer<'static>,
    key: Vec<u8>,
}

impl TestCa {
    /// A fresh CA ("spotctl test CA") and a certificate for `127.0.0.1`, `localhost` and
    /// [`super::super::proxy::PROXIED_HOST`] (a name only the test proxy resolves: spotctl
    /// never sends loopback requests through a proxy).
    pub fn new() -> TestCa {
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "spotctl test CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().expect("CA key");
        let issuer = CertifiedIssuer::self_signed(ca, ca_key).expect("CA certificate");

        let mut leaf = CertificateParams::new(vec![
            "127.0.0.1".to_string(),
            "localhost".into(),
            super::super::proxy::PROXIED_HOST.into(),
        ])
        .expect("server params");
        leaf.distinguished_name
            .push(DnType::CommonName, "fake Spotify");
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().expect("server key");
        let cert = leaf.signed_by(&key, &issuer).expect("server certificate");
        TestCa {
            ca_pem: issuer.pem(),
            cert: cert.der().clone(),
            key: key.serialize_der(),
        }
    }

    /// The CA certificate in PEM, what `SSL_CERT_FILE` points at.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    pub(crate) fn server_config(&self, alpn: Alpn) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.clone()));
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(vec![self.cert.clone()], key)
            .expect("server certificate and key");
        config.alpn_protocols = match alpn {
            Alpn::H2AndHttp11 => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
            Alpn::Http11 => vec![b"http/1.1".to_vec()],
        };
        Arc::new(config)
    }
}

/// [`CountingListener`] plus the TLS handshake. A client that refuses the certificate ends the
/// handshake; that connection is counted and dropped, and the listener waits for the next.
pub(crate) struct TlsListener {
    inner: CountingListener,
    acceptor: TlsAcceptor,
}

impl TlsListener {
    pub(crate) fn new(inner: CountingListener, config: Arc<rustls::ServerConfig>) -> Self {
        TlsListener {
            inner,
            acceptor: TlsAcceptor::from(config),
        }
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<KillableStream>;
    type Addr = ConnInfo;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (io, info) = self.inner.accept().await;
            // One handshake at a time is plenty for tests, and a client that stalls mid-handshake
            // must not hold the listener forever.
            let handshake = self.acceptor.accept(io);
            match tokio::time::timeout(std::time::Duration::from_secs(5), handshake).await {
                Ok(Ok(tls)) => return (tls, info),
                Ok(Err(_)) | Err(_) => continue,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

impl Connected<IncomingStream<'_, TlsListener>> for ConnInfo {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        stream.remote_addr().clone()
    }
}
