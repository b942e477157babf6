//! The model-backed [`PieceSource`]: the composer writes the notes, the
//! synthesizer renders them (with the `composer` feature, on by default).

use std::{collections::HashMap, fmt, sync::Arc};

use overture_model::{Composer, ModelLocation};
use overture_synth::{
    palette::Palette,
    render::{RenderSettings, render},
};

use crate::{
    generator::{GenerateError, PieceJob, PieceSource, SourceError, SourceFactory},
    piece::Piece,
};

/// The model-backed source: the composer writes the notes, the synthesizer
/// renders them with the mood's palette, stems balanced to the mix.
pub struct ModelSource {
    composer: Composer,
    palettes: HashMap<String, Palette>,
    shared_stem: bool,
}

impl fmt::Debug for ModelSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModelSource")
            .field("model", &self.composer.name())
            .finish_non_exhaustive()
    }
}

impl ModelSource {
    /// A source composing with `composer`.
    pub fn new(composer: Composer) -> Self {
        Self {
            composer,
            palettes: HashMap::new(),
            shared_stem: true,
        }
    }

    /// Whether the roles that are not layered are rendered as one shared
    /// stem with one reverb (`true`, the default:
    /// [`RenderSettings::own_stems`]) or each on its own and then mixed
    /// (`false`: the same music to float rounding, slower; kept to compare).
    #[must_use]
    pub fn with_shared_stem(mut self, shared: bool) -> Self {
        self.shared_stem = shared;
        self
    }

    /// A factory loading the model at `location` (the bundled one, or a path
    /// as for [`Composer::load`]) on the worker.
    pub fn factory(location: impl Into<ModelLocation>) -> SourceFactory {
        let location = location.into();
        Arc::new(move || {
            let composer = Composer::open(&location).map_err(SourceError::model)?;
            Ok(Box::new(ModelSource::new(composer)) as Box<dyn PieceSource>)
        })
    }
}

impl PieceSource for ModelSource {
    fn make(&mut self, job: &PieceJob) -> Result<Piece, GenerateError> {
        // The palette first: a bad one fails before any composing.
        let name = &job.mood.palette;
        if !self.palettes.contains_key(name) {
            let palette = Palette::resolve(name).map_err(GenerateError::palette)?;
            self.palettes.insert(name.clone(), palette);
        }
        let mut request = job.request();
        // Neither the mood nor its prompt chose a drum style: the palette's.
        request.drumming.style = request.drumming.style.or(self.palettes[name].drum_style);
        let arrangement = self
            .composer
            .compose(&request)
            .map_err(GenerateError::compose)?;
        let layered: Vec<_> = job.mood.layers.iter().map(|l| l.role).collect();
        // Only the layered roles need stems of their own: the others share
        // one, and one reverb.
        let settings = RenderSettings {
            sample_rate: job.sample_rate,
            own_stems: self.shared_stem.then(|| layered.clone()),
            ..RenderSettings::default()
        };
        let rendered =
            render(&arrangement, &self.palettes[name], &settings).map_err(GenerateError::render)?;
        Ok(Piece::from_rendered(
            job.key.clone(),
            arrangement,
            &rendered,
            &layered,
        ))
    }
}
