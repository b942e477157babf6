//! A mood set: the intro, main-section variants and outro the engine needs
//! for one mood, composed in one batch in a shared key and tempo.

use overture_core::{arrangement::Arrangement, section::SectionKind};

use super::{Composer, Request};
use crate::error::ModelError;

/// A mood set: everything the engine needs for one mood.
#[derive(Debug, Clone, PartialEq)]
pub struct MoodSet {
    /// The intro.
    pub intro: Arrangement,
    /// Main-section variants, sharing key and tempo so they can follow each other.
    pub mains: Vec<Arrangement>,
    /// The outro.
    pub outro: Arrangement,
}

impl Composer {
    /// Composes a mood set in one batch: an intro, `variants` main sections
    /// and an outro, all in the same key and tempo. Every variant after the
    /// first opens like the first ([`Request::opening_seed`]) unless `main`
    /// names another opening.
    pub fn compose_set(
        &self,
        main: &Request,
        intro_bars: u32,
        outro_bars: u32,
        variants: u32,
    ) -> Result<MoodSet, ModelError> {
        let mut requests = vec![Request {
            section: SectionKind::Intro,
            bars: intro_bars,
            seed: main.seed ^ 0x1111,
            ..*main
        }];
        for v in 0..variants.max(1) {
            requests.push(Request {
                section: SectionKind::Main,
                seed: main.seed.wrapping_add(u64::from(v)),
                opening_seed: main.opening_seed.or((v > 0).then_some(main.seed)),
                ..*main
            });
        }
        requests.push(Request {
            section: SectionKind::Outro,
            bars: outro_bars,
            seed: main.seed ^ 0x0777,
            ..*main
        });
        let mut all = self.compose_batch(&requests)?;
        let outro = all.pop().expect("outro");
        let intro = all.remove(0);
        Ok(MoodSet {
            intro,
            mains: all,
            outro,
        })
    }
}
