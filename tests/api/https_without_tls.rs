//! `https://` without the `tls` feature (the HTTPS tests themselves need
//! rustls and rcgen: they are in interop/tests/clients/https.rs).

/// Without the feature, `https://` is refused and the error says why.
#[cfg(not(feature = "tls"))]
#[test]
fn https_needs_the_tls_feature_and_says_so() {
    let msg = smolsock::http::HttpError::HttpsNotSupported.to_string();
    assert!(msg.contains("built without the `tls` feature"), "{msg}");
}
