//! Lab mode and its test hooks (`"lab": true` in the start-up file, `LIFELINE_POLICY_DIR`,
//! `LIFELINE_TLS_CA_FILE`, the lab's certificate under `LIFELINE_LAB_DIR`) exist only in lab and debug
//! builds: the `lab` cargo feature, which the shipping build (`scripts/build-app --bundles`) never enables,
//! or a debug build. In a release build the code reading them is not compiled in at all.

/// True in a build that has lab mode and its hooks.
pub const AVAILABLE: bool = cfg!(any(feature = "lab", debug_assertions));
