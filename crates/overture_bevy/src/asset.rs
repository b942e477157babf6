//! Mood maps as Bevy assets: `*.moodmap.ron`, hot-reloadable.

use bevy::{
    asset::{Asset, AssetLoader, LoadContext, io::Reader},
    reflect::TypePath,
};
use overture_moodmap::{MoodMap, MoodMapError};

/// A loaded `*.moodmap.ron` file: the map, or the located error that kept
/// it from loading. A broken edit still loads (as the error), so the plugin
/// can report it and keep playing the previous good map.
#[derive(Asset, TypePath, Debug)]
pub struct MoodMapAsset {
    /// The map, or what is wrong with the file.
    pub map: Result<MoodMap, MoodMapError>,
}

/// Loads `*.moodmap.ron` files (see the format reference in `assets/moodmaps/README.md`).
#[derive(Debug, Default, TypePath)]
pub struct MoodMapLoader;

/// Reading the file failed (a syntax or meaning error is not a load error:
/// see [`MoodMapAsset::map`]).
#[derive(Debug)]
pub struct MoodMapReadError(std::io::Error);

impl std::fmt::Display for MoodMapReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "could not read the mood map: {}", self.0)
    }
}

impl std::error::Error for MoodMapReadError {}

impl AssetLoader for MoodMapLoader {
    type Asset = MoodMapAsset;
    type Settings = ();
    type Error = MoodMapReadError;

    async fn load(
        &self,
        reader: &mut dyn Reader,
        _settings: &(),
        load_context: &mut LoadContext<'_>,
    ) -> Result<MoodMapAsset, MoodMapReadError> {
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .await
            .map_err(MoodMapReadError)?;
        let path = load_context.path().path().to_path_buf();
        Ok(MoodMapAsset {
            map: MoodMap::from_bytes(&bytes, &path),
        })
    }

    fn extensions(&self) -> &[&str] {
        &["moodmap.ron"]
    }
}
