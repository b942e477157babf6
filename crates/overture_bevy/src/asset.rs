//! Mood maps as Bevy assets: `*.moodmap.ron`, hot-reloadable.

use std::path::Path;

use bevy::{
    asset::{Asset, AssetLoader, LoadContext, io::Reader},
    log::error,
    reflect::TypePath,
};
use overture_moodmap::{
    Environment, EnvironmentError, Leitmotif, LeitmotifError, MoodMap, MoodMapError,
    parse_leitmotif,
};
use overture_synth::Palette;

/// A loaded `*.moodmap.ron` file: the map, or the located error that kept
/// it from loading. The map is checked completely, as it will be played:
/// its palettes (built-in names, or palette files read from the working
/// directory as the engine reads them) and leitmotifs too; when a map has
/// several problems, the first is here and every other one is logged. A broken edit still loads (as the error), so the plugin
/// can report it and keep playing the previous good map.
#[derive(Asset, TypePath, Debug)]
pub struct MoodMapAsset {
    /// The map, or what is wrong with the file.
    pub map: Result<MoodMap, MoodMapError>,
    /// Each mood's leitmotif, read from the MIDI file the map names
    /// (relative to the map); the map's first problem when it has one (the
    /// same error as in [`MoodMapAsset::map`]).
    pub motifs: Result<Vec<Leitmotif>, MoodMapError>,
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
        let mut map = MoodMap::from_bytes(&bytes, &path);
        let mut motifs = Ok(Vec::new());
        if let Ok(good) = &map {
            // Every leitmotif is read through the asset server first; the
            // map's reference checks then look the results up.
            let mut read = Leitmotifs::default();
            for mood in &good.moods {
                let (Some(file), Some(full)) = (&mood.leitmotif, good.leitmotif(&mood.name)) else {
                    continue;
                };
                let file = file.to_string_lossy().replace('\\', "/");
                let motif = match load_context.path().resolve_embed_str(&file) {
                    Ok(asset) => load_context
                        .read_asset_bytes(asset.clone())
                        .await
                        .map_err(LeitmotifError::read)
                        .and_then(|b| parse_leitmotif(&b)),
                    Err(e) => Err(LeitmotifError::read(e)),
                };
                read.0.push(Leitmotif {
                    mood: mood.name.clone(),
                    path: full,
                    motif,
                });
            }
            let source = std::str::from_utf8(&bytes).ok();
            let problems = good.check_references(source, &read);
            for extra in problems.iter().skip(1) {
                error!("mood map: {extra}");
            }
            if let Some(first) = problems.into_iter().next() {
                motifs = Err(first.clone());
                map = Err(first);
            } else {
                motifs = Ok(read.0);
            }
        }
        Ok(MoodMapAsset { map, motifs })
    }

    fn extensions(&self) -> &[&str] {
        &["moodmap.ron"]
    }
}

/// What the loader checks a map's references against: the synthesizer's
/// palettes, palette files on disk, and the leitmotifs it has read (mood,
/// path, motif or why not).
#[derive(Default)]
struct Leitmotifs(Vec<Leitmotif>);

impl Environment for Leitmotifs {
    fn builtin_palettes(&self) -> Vec<String> {
        Palette::BUILTIN.iter().map(|s| s.to_string()).collect()
    }

    fn palette_file(&self, path: &Path) -> Result<(), EnvironmentError> {
        Palette::load(path).map(drop).map_err(Into::into)
    }

    fn leitmotif(&self, path: &Path) -> Result<(), EnvironmentError> {
        match self.0.iter().find(|l| l.path == path) {
            Some(l) => l.motif.as_ref().map(drop).map_err(|e| e.clone().into()),
            None => Err("not read".into()),
        }
    }
}
