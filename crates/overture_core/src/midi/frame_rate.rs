//! A guard in front of midly for a header it cannot read.
//!
//! midly 0.5 reads the top byte of a header's division word, when its top
//! bit is set (SMPTE timing), as a negated `i8` frame rate: 0x80 overflows,
//! a panic in any build with overflow checks (tests, debug builds). In its
//! lenient mode it also reads a second header chunk met among the tracks.
//! Fuzzing found both (see FUZZING.md). [`invalid_frame_rate`] walks the
//! chunks exactly as midly does and finds such a header before midly does.

/// Whether midly would read a header chunk whose frame rate byte is 0x80.
pub(super) fn invalid_frame_rate(bytes: &[u8]) -> bool {
    let smf = match bytes.get(..4) {
        Some(b"RIFF") => match rmid_data(bytes) {
            Some(data) => data,
            None => return false,
        },
        _ => bytes,
    };
    let mut raw = smf;
    // Chunks: an id, a big-endian length, the data (cut short at the end
    // of the file). midly stops at the first chunk it cannot read.
    while raw.len() >= 8 {
        let (id, rest) = raw.split_at(4);
        let (len, rest) = rest.split_at(4);
        let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
        let (data, next) = rest.split_at(len.min(rest.len()));
        if id == b"MThd" {
            // Format (0, 1 or 2), track count, division.
            let readable = data.len() >= 6 && data[0] == 0 && data[1] <= 2;
            if !readable {
                return false;
            }
            if data[4] == 0x80 {
                return true;
            }
        }
        raw = next;
    }
    false
}

/// The SMF inside an RMID file, found as midly finds it.
fn rmid_data(bytes: &[u8]) -> Option<&[u8]> {
    let (id, riff) = RiffChunks(bytes).next()?;
    if &id != b"RIFF" || riff.get(..4)? != b"RMID" {
        return None;
    }
    RiffChunks(&riff[4..])
        .find(|(id, _)| id == b"data")
        .map(|(_, data)| data)
}

/// RIFF chunks: an id, a little-endian length, the data, a pad byte after
/// odd lengths.
struct RiffChunks<'a>(&'a [u8]);

impl<'a> Iterator for RiffChunks<'a> {
    type Item = ([u8; 4], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.0.len() < 8 {
            return None;
        }
        let id = [self.0[0], self.0[1], self.0[2], self.0[3]];
        let len = u32::from_le_bytes([self.0[4], self.0[5], self.0[6], self.0[7]]) as usize;
        let rest = &self.0[8..];
        let (data, mut next) = rest.split_at(len.min(rest.len()));
        if len % 2 == 1 && !next.is_empty() {
            next = &next[1..];
        }
        self.0 = next;
        Some((id, data))
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn header(division_top: u8) -> Vec<u8> {
        let mut h = b"MThd\x00\x00\x00\x06\x00\x01\x00\x01".to_vec();
        h.extend([division_top, 0x24]);
        h
    }

    #[test]
    fn only_a_header_midly_reads_is_refused() {
        assert!(invalid_frame_rate(&header(0x80)));
        assert!(
            !invalid_frame_rate(&header(0x81)),
            "a frame rate midly reads"
        );
        assert!(!invalid_frame_rate(&header(0x01)), "metrical");
        // A second header after a track.
        let mut two = header(0x01);
        two.extend(b"MTrk\x00\x00\x00\x04\x00\xff\x2f\x00");
        two.extend(header(0x80));
        assert!(invalid_frame_rate(&two));
        // The same bytes inside a track's text are not a header.
        let mut text = header(0x01);
        let inner = header(0x80);
        text.extend(b"MTrk\x00\x00\x00");
        text.push(inner.len() as u8 + 8);
        text.extend([0x00, 0xff, 0x01, inner.len() as u8]);
        text.extend(&inner);
        text.extend([0x00, 0xff, 0x2f, 0x00]);
        assert!(!invalid_frame_rate(&text));
        // Inside an RMID wrapper.
        let smf = header(0x80);
        let mut rmid = b"RIFF".to_vec();
        rmid.extend((4 + 8 + smf.len() as u32).to_le_bytes());
        rmid.extend(b"RMIDdata");
        rmid.extend((smf.len() as u32).to_le_bytes());
        rmid.extend(&smf);
        assert!(invalid_frame_rate(&rmid));
    }
}
