package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/parcours/parcours/fold"
)

// Encoding is the character encoding detected for a file.
type Encoding string

// Detected encodings. French administrations publish both UTF-8 (often
// with a byte order mark, as Excel writes it) and Windows-1252 ("ANSI"),
// which is Latin-1 plus the curly quotes, œ and € that Latin-1 lacks.
const (
	UTF8        Encoding = "UTF-8"
	UTF8BOM     Encoding = "UTF-8 with BOM"
	Windows1252 Encoding = "Windows-1252"
	// ASCII is a file whose first MiB is pure ASCII: each later field that
	// is not valid UTF-8 is read as Windows-1252.
	ASCII Encoding = "ASCII"
)

// sniffSize is how much of a file decides its encoding and delimiter.
const sniffSize = 1 << 20

// table reads one delimited file row by row, without loading it whole.
type table struct {
	file  string
	enc   Encoding
	r     *csv.Reader
	cols  map[string]int // normalised header name -> index
	byArg map[string]int // get's argument as written -> index (-1: absent), so that each name is folded once
	names []string       // header as written
	rec   []string
	line  int // line of the current record's start
}

// rowError is a row that cannot be read; the import reports and skips it.
type rowError struct {
	line   int
	reason string
}

func (e *rowError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.reason) }

// colKey normalises a header name: "Numéro_Fiche", "NUMERO FICHE" and
// "numero_fiche" are the same column.
func colKey(s string) string {
	return strings.ReplaceAll(fold.String(strings.TrimPrefix(s, "\ufeff")), " ", "_")
}

// openTable detects the encoding and delimiter of r and reads its header.
func openTable(file string, r io.Reader) (*table, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	sample, err := br.Peek(sniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	t := &table{file: file, enc: detectEncoding(sample)}
	if t.enc == UTF8BOM {
		br.Discard(3)
		sample = sample[3:]
	}
	t.r = csv.NewReader(br)
	t.r.Comma = detectDelimiter(sample)
	t.r.LazyQuotes = true
	t.r.FieldsPerRecord = -1
	t.r.ReuseRecord = true
	header, err := t.r.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: the file is empty", file)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: reading the header: %w", file, err)
	}
	t.cols = map[string]int{}
	for i, h := range header {
		h, _ = t.decode(h)
		t.names = append(t.names, h)
		if _, dup := t.cols[colKey(h)]; !dup {
			t.cols[colKey(h)] = i
		}
	}
	return t, nil
}

func detectEncoding(sample []byte) Encoding {
	if bytes.HasPrefix(sample, []byte{0xEF, 0xBB, 0xBF}) {
		return UTF8BOM
	}
	ascii := true
	for _, b := range sample {
		if b >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return ASCII
	}
	// The sample may end inside a character.
	for cut := 0; cut < utf8.UTFMax && cut < len(sample); cut++ {
		if utf8.Valid(sample[:len(sample)-cut]) {
			return UTF8
		}
	}
	return Windows1252
}

// detectDelimiter picks the separator of the header line: French open data
// uses ";", ESCO ",", some exports tabs.
func detectDelimiter(sample []byte) rune {
	line := sample
	if i := bytes.IndexByte(sample, '\n'); i >= 0 {
		line = sample[:i]
	}
	best, n := ';', bytes.Count(line, []byte(";"))
	for _, c := range []rune{',', '\t', '|'} {
		if k := bytes.Count(line, []byte(string(c))); k > n {
			best, n = c, k
		}
	}
	return best
}

var win1252 = charmap.Windows1252.NewDecoder()

// decode turns one raw field into UTF-8 according to the file's encoding.
func (t *table) decode(s string) (string, bool) {
	switch t.enc {
	case Windows1252:
		out, err := win1252.String(s)
		return out, err == nil
	case ASCII:
		if utf8.ValidString(s) {
			return s, true
		}
		out, err := win1252.String(s)
		return out, err == nil
	}
	return s, utf8.ValidString(s)
}

// has reports whether the header has every column.
func (t *table) has(cols ...string) bool {
	for _, c := range cols {
		if _, ok := t.cols[colKey(c)]; !ok {
			return false
		}
	}
	return true
}

// require returns an error naming the missing columns.
func (t *table) require(cols ...string) error {
	var missing []string
	for _, c := range cols {
		if _, ok := t.cols[colKey(c)]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: missing column(s) %s; the header is: %s", t.file, strings.Join(missing, ", "), strings.Join(t.names, ";"))
	}
	return nil
}

// next reads the next record: io.EOF at the end, a *rowError for a row to
// skip (its fields are unusable), another error when reading must stop.
func (t *table) next() error {
	rec, err := t.r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			t.line = pe.StartLine
			return &rowError{line: pe.StartLine, reason: "unreadable CSV: " + pe.Err.Error()}
		}
		return err
	}
	t.line, _ = t.r.FieldPos(0)
	if len(rec) != len(t.names) {
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			return &rowError{line: t.line, reason: "empty line"}
		}
		return &rowError{line: t.line, reason: fmt.Sprintf("%d fields where the header has %d", len(rec), len(t.names))}
	}
	for i := range rec {
		s, ok := t.decode(rec[i])
		if !ok {
			return &rowError{line: t.line, reason: fmt.Sprintf("column %s is not valid %s (the file mixes encodings)", t.names[i], t.enc)}
		}
		rec[i] = strings.TrimSpace(s)
	}
	t.rec = rec
	return nil
}

// get returns a column of the current record, "" when the header lacks it.
func (t *table) get(col string) string {
	i, ok := t.byArg[col]
	if !ok {
		if i, ok = t.cols[colKey(col)]; !ok {
			i = -1
		}
		if t.byArg == nil {
			t.byArg = map[string]int{}
		}
		t.byArg[col] = i
	}
	if i < 0 {
		return ""
	}
	return t.rec[i]
}
