package ingest

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync/atomic"
	"time"
)

// Source is one input file. Size, when known, lets the progress bar show a
// percentage.
type Source struct {
	Name string
	R    io.Reader
	Size int64
}

// Options tune an import. The zero value imports silently.
type Options struct {
	// Progress receives the progress display; nil for none.
	Progress io.Writer
	// TTY draws a bar redrawn in place; otherwise a plain line is written
	// every ten seconds, which suits logs.
	TTY bool
	// Now is the clock, time.Now when nil.
	Now func() time.Time
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// MaxBadRows bounds the bad rows a file report lists one by one; the counts
// by reason stay complete.
const MaxBadRows = 100

// BadRow is one skipped row.
type BadRow struct {
	File   string
	Line   int
	Reason string
}

func (b BadRow) String() string { return fmt.Sprintf("%s:%d: %s", b.File, b.Line, b.Reason) }

// FileReport is what happened to one file.
type FileReport struct {
	File     string
	Table    string // which table of the format the file was recognised as
	Encoding Encoding
	Read     int // data rows read
	Skipped  int // rows skipped, with their reasons
	// Imported counts the records that changed the store, Unchanged those
	// it already held as they are: re-importing a file imports nothing.
	Imported  int
	Unchanged int
	Reasons   map[string]int // skipped rows by reason, without row details
	Bad       []BadRow
	Err       string // why the whole file was refused, if it was
}

// Report is the summary of an import.
type Report struct {
	Kind     string
	Files    []*FileReport
	Duration time.Duration
}

// Totals sums the file reports.
func (r *Report) Totals() (read, imported, unchanged, skipped int) {
	for _, f := range r.Files {
		read += f.Read
		imported += f.Imported
		unchanged += f.Unchanged
		skipped += f.Skipped
	}
	return
}

// Failed reports whether a file was refused whole.
func (r *Report) Failed() bool {
	for _, f := range r.Files {
		if f.Err != "" {
			return true
		}
	}
	return false
}

func (f *FileReport) skip(line int, reason string) {
	f.Skipped++
	if f.Reasons == nil {
		f.Reasons = map[string]int{}
	}
	// The count by reason groups rows by the reason's first words.
	key := reason
	if i := strings.IndexAny(key, "\"0123456789"); i > 0 {
		key = strings.TrimSpace(key[:i])
	}
	f.Reasons[key]++
	if len(f.Bad) < MaxBadRows {
		f.Bad = append(f.Bad, BadRow{File: f.File, Line: line, Reason: reason})
	}
}

// Write prints the summary: one block per file, the skipped rows with
// their file, line and reason, then the totals.
func (r *Report) Write(w io.Writer) {
	for _, f := range r.Files {
		if f.Err != "" {
			fmt.Fprintf(w, "%s: REFUSED: %s\n", f.File, f.Err)
			continue
		}
		fmt.Fprintf(w, "%s (%s, %s): %d rows read, %d records imported, %d unchanged, %d rows skipped\n",
			f.File, f.Table, f.Encoding, f.Read, f.Imported, f.Unchanged, f.Skipped)
		for _, b := range f.Bad {
			fmt.Fprintf(w, "  skipped %s\n", b)
		}
		if f.Skipped > len(f.Bad) {
			fmt.Fprintf(w, "  ... and %d more skipped rows; by reason:\n", f.Skipped-len(f.Bad))
			keys := make([]string, 0, len(f.Reasons))
			for k := range f.Reasons {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Fprintf(w, "    %6d  %s\n", f.Reasons[k], k)
			}
		}
	}
	read, imported, unchanged, skipped := r.Totals()
	fmt.Fprintf(w, "%s import: %d files, %d rows read, %d records imported, %d unchanged, %d rows skipped, in %s\n",
		r.Kind, len(r.Files), read, imported, unchanged, skipped, r.Duration.Round(time.Millisecond))
}

// progress draws the progress of an import across its files.
type progress struct {
	opts  Options
	total int64
	done  atomic.Int64
	rows  int
	file  string
	last  time.Time
	start time.Time
	drawn bool
}

func newProgress(opts Options, sources []Source) *progress {
	p := &progress{opts: opts, start: opts.now()}
	for _, s := range sources {
		p.total += s.Size
	}
	return p
}

// counter counts the bytes read from a source.
type counter struct {
	r io.Reader
	p *progress
}

func (c counter) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.done.Add(int64(n))
	return n, err
}

// row notes one more row and redraws when it is time to.
func (p *progress) row() {
	p.rows++
	if p.opts.Progress == nil || p.rows%1024 != 0 {
		return
	}
	now := p.opts.now()
	every := 10 * time.Second
	if p.opts.TTY {
		every = 200 * time.Millisecond
	}
	if now.Sub(p.last) < every {
		return
	}
	p.last = now
	p.draw(now)
}

func (p *progress) draw(now time.Time) {
	done := p.done.Load()
	pct := ""
	bar := ""
	if p.total > 0 {
		f := min(float64(done)/float64(p.total), 1)
		pct = fmt.Sprintf("%3.0f%% ", 100*f)
		const width = 30
		n := int(f * width)
		bar = "[" + strings.Repeat("=", n) + strings.Repeat(" ", width-n) + "] "
	}
	rate := float64(p.rows) / max(now.Sub(p.start).Seconds(), 0.001)
	if p.opts.TTY {
		fmt.Fprintf(p.opts.Progress, "\r%s%s%d rows (%.0f/s) %s\x1b[K", bar, pct, p.rows, rate, p.file)
		p.drawn = true
	} else {
		fmt.Fprintf(p.opts.Progress, "progress: %s%d rows (%.0f/s) %s\n", pct, p.rows, rate, p.file)
	}
}

// finish clears the bar so that the summary starts on a clean line.
func (p *progress) finish() {
	if p.opts.Progress != nil && p.opts.TTY && p.drawn {
		fmt.Fprint(p.opts.Progress, "\r\x1b[K")
	}
}
