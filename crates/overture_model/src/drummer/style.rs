//! The drummer's styles: the Groove MIDI Dataset's genre labels in five
//! groups, and how a prompt's or mood map's [`DrumStyle`] maps onto them.

use crate::prompt::DrumStyle;

/// A style the drummer was trained on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GrooveStyle {
    /// Rock, punk, pop, country and blues.
    Rock,
    /// Funk, soul, gospel and dance.
    Funk,
    /// Jazz and New Orleans.
    Jazz,
    /// Latin, Afro-Cuban, Afrobeat, highlife, reggae and Middle Eastern.
    Latin,
    /// Hip-hop.
    HipHop,
}

impl GrooveStyle {
    /// Every style, in the network's order.
    pub const ALL: [GrooveStyle; 5] = [
        GrooveStyle::Rock,
        GrooveStyle::Funk,
        GrooveStyle::Jazz,
        GrooveStyle::Latin,
        GrooveStyle::HipHop,
    ];

    /// Number of styles.
    pub const COUNT: usize = Self::ALL.len();

    /// The style's index in [`GrooveStyle::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The group of a Groove `style` column (`funk/groove1`, `jazz-funk`,
    /// `neworleans/secondline`: the genre before the first `/` or `-`).
    pub fn from_label(label: &str) -> Option<GrooveStyle> {
        let genre = label.split(['/', '-']).next().unwrap_or("").trim();
        Some(match genre {
            "rock" | "punk" | "pop" | "country" | "blues" => GrooveStyle::Rock,
            "funk" | "soul" | "gospel" | "dance" | "disco" => GrooveStyle::Funk,
            "jazz" | "neworleans" => GrooveStyle::Jazz,
            "latin" | "afrocuban" | "afrobeat" | "highlife" | "reggae" | "middleeastern" => {
                GrooveStyle::Latin
            }
            "hiphop" => GrooveStyle::HipHop,
            _ => return None,
        })
    }

    /// The trained style nearest a requested [`DrumStyle`]: electronic plays
    /// the four-on-the-floor of the dance recordings (grouped with funk),
    /// march and orchestral the straight rock kit, folk the hand-drum
    /// rhythms of the Latin group, and waltz the jazz drummers' brushes.
    pub fn for_style(style: DrumStyle) -> GrooveStyle {
        match style {
            DrumStyle::Rock | DrumStyle::March | DrumStyle::Orchestral => GrooveStyle::Rock,
            DrumStyle::Funk | DrumStyle::Electronic => GrooveStyle::Funk,
            DrumStyle::Jazz | DrumStyle::Waltz => GrooveStyle::Jazz,
            DrumStyle::Latin | DrumStyle::Folk => GrooveStyle::Latin,
            DrumStyle::HipHop => GrooveStyle::HipHop,
        }
    }

    /// The style a mood gets when nothing asks for one: calm moods the jazz
    /// ride, dark mid-energy moods hip-hop, bright ones funk, excited ones rock.
    pub fn for_mood(valence: f32, arousal: f32) -> GrooveStyle {
        let (v, a) = (finite_or_zero(valence), finite_or_zero(arousal));
        if a < -0.35 {
            GrooveStyle::Jazz
        } else if a > 0.45 {
            GrooveStyle::Rock
        } else if v < 0.0 {
            GrooveStyle::HipHop
        } else {
            GrooveStyle::Funk
        }
    }

    /// The requested style that plays this one.
    pub fn drum_style(self) -> DrumStyle {
        match self {
            GrooveStyle::Rock => DrumStyle::Rock,
            GrooveStyle::Funk => DrumStyle::Funk,
            GrooveStyle::Jazz => DrumStyle::Jazz,
            GrooveStyle::Latin => DrumStyle::Latin,
            GrooveStyle::HipHop => DrumStyle::HipHop,
        }
    }

    /// A lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            GrooveStyle::Rock => "rock",
            GrooveStyle::Funk => "funk",
            GrooveStyle::Jazz => "jazz",
            GrooveStyle::Latin => "latin",
            GrooveStyle::HipHop => "hip-hop",
        }
    }
}

fn finite_or_zero(x: f32) -> f32 {
    if x.is_finite() { x } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groove_labels_fall_into_their_groups() {
        assert_eq!(
            GrooveStyle::from_label("funk/groove1"),
            Some(GrooveStyle::Funk)
        );
        assert_eq!(
            GrooveStyle::from_label("jazz-funk"),
            Some(GrooveStyle::Jazz)
        );
        assert_eq!(
            GrooveStyle::from_label("afrocuban/bembe"),
            Some(GrooveStyle::Latin)
        );
        assert_eq!(GrooveStyle::from_label("hiphop"), Some(GrooveStyle::HipHop));
        assert_eq!(GrooveStyle::from_label("polka"), None);
    }

    #[test]
    fn every_requested_style_has_a_trained_one() {
        for s in DrumStyle::ALL {
            let g = GrooveStyle::for_style(s);
            assert_eq!(GrooveStyle::ALL[g.index()], g);
            assert_eq!(GrooveStyle::for_style(g.drum_style()), g);
        }
    }
}
