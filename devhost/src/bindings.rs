//! Host bindings for the `fermyon:spin@2.0.0` interfaces in the workspace's `wit/` folder.
//!
//! All imports are async on the host because Redis calls do network I/O; to the guest they
//! are ordinary blocking calls, as in Spin.

#![allow(
    missing_docs,
    reason = "bindgen generates items whose docs come from the WIT, which documents only some"
)]

wasmtime::component::bindgen!({
    path: "../wit",
    world: "fermyon:spin/devhost",
    imports: { default: async },
    with: {
        "fermyon:spin/redis.connection": crate::spin_redis::RedisConnection,
    },
});
