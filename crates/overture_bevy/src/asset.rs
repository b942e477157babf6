//! Mood maps as Bevy assets: `*.moodmap.ron`, hot-reloadable.

use bevy::{
    asset::{Asset, AssetLoader, LoadContext, io::Reader},
    reflect::TypePath,
};
use overture_core::midi::parse_midi;
use overture_engine::score::Motif;
use overture_moodmap::{MoodMap, MoodMapError};

/// A loaded `*.moodmap.ron` file: the map, or the located error that kept
/// it from loading. A broken edit still loads (as the error), so the plugin
/// can report it and keep playing the previous good map.
#[derive(Asset, TypePath, Debug)]
pub struct MoodMapAsset {
    /// The map, or what is wrong with the file.
    pub map: Result<MoodMap, MoodMapError>,
    /// Each mood's leitmotif, read from the MIDI file the map names
    /// (relative to the map), or why it could not be read.
    pub motifs: Result<Vec<(String, Motif)>, String>,
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
        let map = MoodMap::from_bytes(&bytes, &path);
        let mut motifs = Ok(Vec::new());
        if let Ok(map) = &map {
            for mood in &map.moods {
                let Some(file) = &mood.leitmotif else {
                    continue;
                };
                let file = file.to_string_lossy().replace('\\', "/");
                let read = match load_context.path().resolve_embed_str(&file) {
                    Ok(asset) => load_context
                        .read_asset_bytes(asset.clone())
                        .await
                        .map_err(|e| e.to_string())
                        .and_then(|b| parse_midi(&b).map_err(|e| e.to_string()))
                        .and_then(|song| {
                            Motif::from_song(&song)
                                .map(|(m, _)| m)
                                .map_err(|e| e.to_string())
                        }),
                    Err(e) => Err(e.to_string()),
                };
                match read {
                    Ok(motif) => {
                        if let Ok(list) = &mut motifs {
                            list.push((mood.name.clone(), motif));
                        }
                    }
                    Err(e) => {
                        motifs = Err(format!(
                            "{}: moods.{}.leitmotif: could not read `{file}`: {e}",
                            path.display(),
                            mood.name
                        ));
                        break;
                    }
                }
            }
        }
        Ok(MoodMapAsset { map, motifs })
    }

    fn extensions(&self) -> &[&str] {
        &["moodmap.ron"]
    }
}
