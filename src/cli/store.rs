//! CLI of `pathhound load`.

use crate::Usage;

/// Arguments of `pathhound load`.
#[derive(clap::Args)]
pub struct LoadArgs {}

/// Runs `pathhound load`.
pub fn load(_args: LoadArgs) -> anyhow::Result<Result<(), Usage>> {
    Ok(Err(Usage("pathhound load: not implemented yet".into())))
}
