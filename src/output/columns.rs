//! The columns each listing shows in `table`, `tsv` and `csv` (the same columns in all three:
//! `csv` names them in its header row with the JSON field they come from), and RFC 4180
//! quoting for `csv`.

/// One column: where its value comes from, and how `table` shows it.
#[derive(Debug)]
pub struct Column {
    /// The JSON field of the item (its value, or empty when absent).
    pub field: &'static str,
    /// `table`'s header.
    pub title: &'static str,
    /// `table`'s fixed width (so it can stream); the last column needs none.
    pub width: usize,
    /// Numbers are aligned right in `table`.
    pub right: bool,
}

const fn col(field: &'static str, title: &'static str, width: usize, right: bool) -> Column {
    Column {
        field,
        title,
        width,
        right,
    }
}

/// The parent's ID, first with `--with-parent` (`csv`'s header calls it `parent_id`).
pub const PARENT: Column = col("parent_id", "PARENT", 22, false);

pub const ALBUMS: &[Column] = &[
    col("id", "ID", 22, false),
    col("release_date", "RELEASED", 10, false),
    col("album_type", "TYPE", 11, false),
    col("total_tracks", "TRACKS", 6, true),
    col("name", "NAME", 0, false),
];

pub const SEARCH: &[Column] = &[
    col("type", "TYPE", 9, false),
    col("id", "ID", 22, false),
    col("name", "NAME", 0, false),
];

pub const TRACKS: &[Column] = &[
    col("id", "ID", 22, false),
    col("type", "TYPE", 7, false),
    col("disc_number", "DISC", 4, true),
    col("track_number", "TRACK", 5, true),
    col("duration_ms", "MS", 8, true),
    col("name", "NAME", 0, false),
];

/// One CSV field (RFC 4180): quoted when it holds a comma, a quote, CR or LF, or starts or ends
/// with a space (which some readers trim), with quotes doubled. Hand-written: these six lines
/// are all of the format that is needed, and the values are already one-line cells.
pub fn csv_field(s: &str, out: &mut String) {
    let quote = s.contains([',', '"', '\r', '\n']) || s.starts_with(' ') || s.ends_with(' ');
    if !quote {
        out.push_str(s);
        return;
    }
    out.push('"');
    out.push_str(&s.replace('"', "\"\""));
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        let f = |s: &str| {
            let mut o = String::new();
            csv_field(s, &mut o);
            o
        };
        assert_eq!(f("plain"), "plain");
        assert_eq!(f("사계 (Four Seasons)"), "사계 (Four Seasons)");
        assert_eq!(f("a,b"), "\"a,b\"");
        assert_eq!(f("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(f(" lead"), "\" lead\"");
        assert_eq!(f(""), "");
    }
}
