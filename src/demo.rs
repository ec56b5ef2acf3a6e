//! placeholder until the sample dataset lands
/// Key.
pub const DEMO_OWNER_KEY: &str = "02aa";
/// Records.
pub fn records() -> Vec<serde_json::Value> { Vec::new() }
