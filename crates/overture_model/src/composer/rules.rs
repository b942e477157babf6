//! Music rules the grammar applies: which chords a bar may hold (a main
//! section starts on the tonic and its last bar leads back to it, an intro
//! leads into the main section, an outro ends on the tonic), a chord's tones
//! and a key's scale.

use overture_core::key::Key;

use crate::tokens;

/// Chord qualities by index into [`tokens::CHORD_QUALITIES`].
const MAJ: u32 = 0;
const MIN: u32 = 1;
const DIM: u32 = 2;
const SUS4: u32 = 4;
const DOM7: u32 = 5;
const MAJ7: u32 = 6;
const MIN7: u32 = 7;

/// Which chords a bar may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ChordRule {
    /// Any chord.
    Free,
    /// The tonic chord (major or major 7th; minor or minor 7th in minor).
    Tonic,
    /// A dominant- or subdominant-function chord that leads to the tonic.
    Leading,
}

/// Whether `rule` admits the chord on `root` (tonic-C frame) of quality `q`
/// in a major or `minor` key.
pub(super) fn chord_allowed(rule: ChordRule, minor: bool, root: u8, q: u32) -> bool {
    match rule {
        ChordRule::Free => true,
        ChordRule::Tonic => {
            root == 0
                && if minor {
                    q == MIN || q == MIN7
                } else {
                    q == MAJ || q == MAJ7
                }
        }
        ChordRule::Leading => {
            if minor {
                matches!(
                    (root, q),
                    (7, MAJ | DOM7 | MIN | SUS4) | (5, MIN | MIN7) | (10, MAJ | DOM7) | (2, DIM)
                )
            } else {
                matches!(
                    (root, q),
                    (7, MAJ | DOM7 | SUS4) | (5, MAJ | MAJ7) | (2, MIN | MIN7) | (11, DIM)
                )
            }
        }
    }
}

/// The pitch classes of chord `(root, quality)` (root in the tonic-C frame,
/// quality an index into [`tokens::CHORD_QUALITIES`]).
pub(super) fn chord_tones(root: u8, q: u32) -> [bool; 12] {
    let mut tones = [false; 12];
    for i in tokens::CHORD_QUALITIES[q as usize].intervals() {
        tones[usize::from((root + i) % 12)] = true;
    }
    tones
}

/// The pitch classes the key's pitches may take (tonic-C frame): its
/// mode's scale, with the leading tone in minor keys.
pub(super) fn scale(key: Key) -> [bool; 12] {
    let mut scale = [false; 12];
    for i in key.mode.intervals() {
        scale[i as usize] = true;
    }
    if !key.mode.is_major() {
        scale[11] = true;
    }
    scale
}
