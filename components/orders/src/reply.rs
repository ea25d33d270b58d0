//! The response value, shared with the other API components.

pub use http_reply::Reply;
