//! The seed's line-protocol server (see issue: line server). Work in progress.
