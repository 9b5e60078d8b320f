package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/parcours/parcours/skills"
)

// flushAt is how many records an import writes at once: large enough for
// few, fast bbolt transactions, small enough to bound memory.
const flushAt = 5000

// role is one table of a multi-file format, such as the ROME's list of
// skills. A file is recognised by its header.
type role struct {
	name     string
	ident    []string // columns whose presence identifies the table
	required []string // columns the table must have
	row      func(ctx context.Context, j *job) error
}

// job is the state of one file being imported.
type job struct {
	g     skills.Graph
	t     *table
	rep   *FileReport
	batch skills.Batch
	prog  *progress
	seen  map[string]int // record key -> line of its first row
}

// once reports a row whose record key an earlier row of the file already
// gave: the first row wins, so that importing a file twice gives the same
// graph whatever the flush boundaries.
func (j *job) once(key string) error {
	if first, ok := j.seen[key]; ok {
		return j.bad("duplicate of line %d", first)
	}
	if j.seen == nil {
		j.seen = map[string]int{}
	}
	j.seen[key] = j.t.line
	return nil
}

func (j *job) flush(ctx context.Context) error {
	if j.batch.Len() == 0 {
		return nil
	}
	st, err := j.g.Apply(ctx, j.batch)
	if err != nil {
		return fmt.Errorf("%s: writing to the graph: %w", j.rep.File, err)
	}
	j.rep.Imported += st.Written
	j.rep.Unchanged += st.Unchanged
	j.batch = skills.Batch{}
	return nil
}

// bad returns a row error for the current row.
func (j *job) bad(format string, args ...any) error {
	return &rowError{line: j.t.line, reason: fmt.Sprintf(format, args...)}
}

// format is a multi-file format: its tables, and what to write once every
// file has been read.
type format struct {
	kind   string
	roles  []role // in processing order; a file gets the first role it matches
	finish func(ctx context.Context, j *job, reports map[string]*FileReport) error
}

// runGraph imports sources into the graph. Files are processed in the
// order of their tables in the format, whatever the order given, so that
// nodes come before the links between them. A file whose header matches no
// table is refused with the reason; the others go on.
func runGraph(ctx context.Context, g skills.Graph, f format, sources []Source, opts Options) (*Report, error) {
	start := opts.now()
	rep := &Report{Kind: f.kind}
	prog := newProgress(opts, sources)
	defer prog.finish()
	type file struct {
		t    *table
		role int
		rep  *FileReport
	}
	var files []file
	byRole := map[string]*FileReport{}
	for _, s := range sources {
		fr := &FileReport{File: s.Name}
		rep.Files = append(rep.Files, fr)
		t, err := openTable(s.Name, counter{r: s.R, p: prog})
		if err != nil {
			fr.Err = err.Error()
			continue
		}
		fr.Encoding = t.enc
		ri := slices.IndexFunc(f.roles, func(r role) bool { return t.has(r.ident...) })
		if ri < 0 {
			fr.Err = fmt.Sprintf("not a table of the %s format (header: %s)", f.kind, strings.Join(t.names, string(t.r.Comma)))
			continue
		}
		if err := t.require(f.roles[ri].required...); err != nil {
			fr.Err = err.Error()
			continue
		}
		fr.Table = f.roles[ri].name
		if _, dup := byRole[fr.Table]; dup {
			fr.Err = fmt.Sprintf("a second %s table in the same import", fr.Table)
			continue
		}
		byRole[fr.Table] = fr
		files = append(files, file{t: t, role: ri, rep: fr})
	}
	slices.SortStableFunc(files, func(a, b file) int { return a.role - b.role })
	for _, fl := range files {
		prog.file = fl.rep.File
		j := &job{g: g, t: fl.t, rep: fl.rep, prog: prog}
		if err := readRows(ctx, j, f.roles[fl.role].row); err != nil {
			return rep, err
		}
		if err := j.flush(ctx); err != nil {
			return rep, err
		}
	}
	if f.finish != nil {
		j := &job{g: g, prog: prog}
		if err := f.finish(ctx, j, byRole); err != nil {
			return rep, err
		}
	}
	rep.Duration = opts.now().Sub(start)
	return rep, nil
}

// readRows feeds every row of j.t to fn, skipping bad rows with their
// reason, and flushes the batch as it fills.
func readRows(ctx context.Context, j *job, fn func(context.Context, *job) error) error {
	for {
		err := j.t.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var re *rowError
		if err == nil {
			j.rep.Read++
			j.prog.row()
			err = fn(ctx, j)
		} else if errors.As(err, &re) {
			j.rep.Read++
		}
		if errors.As(err, &re) {
			j.rep.skip(re.line, re.reason)
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", j.rep.File, err)
		}
		if j.batch.Len() >= flushAt {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := j.flush(ctx); err != nil {
				return err
			}
		}
	}
}

// finishInto writes a final batch and books its counts on a file's report.
func finishInto(ctx context.Context, j *job, rep *FileReport, b skills.Batch) error {
	if rep == nil || b.Len() == 0 {
		return nil
	}
	j.rep, j.batch = rep, b
	for j.batch.Len() > 0 {
		// Split large batches as readRows does.
		var part skills.Batch
		part, j.batch = splitBatch(j.batch, flushAt)
		st, err := j.g.Apply(ctx, part)
		if err != nil {
			return fmt.Errorf("%s: writing to the graph: %w", rep.File, err)
		}
		rep.Imported += st.Written
		rep.Unchanged += st.Unchanged
	}
	return nil
}

// splitBatch cuts the node lists of b after n records (finish batches hold
// only nodes).
func splitBatch(b skills.Batch, n int) (skills.Batch, skills.Batch) {
	var head skills.Batch
	take := func(l int) int { k := min(l, n); n -= k; return k }
	k := take(len(b.Occupations))
	head.Occupations, b.Occupations = b.Occupations[:k], b.Occupations[k:]
	k = take(len(b.Certifications))
	head.Certifications, b.Certifications = b.Certifications[:k], b.Certifications[k:]
	k = take(len(b.Skills))
	head.Skills, b.Skills = b.Skills[:k], b.Skills[k:]
	k = take(len(b.Edges))
	head.Edges, b.Edges = b.Edges[:k], b.Edges[k:]
	return head, b
}
