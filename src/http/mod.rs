//! The seed's HTTP/1.0 GET client (see issue: HTTP client). Work in progress.
