package profiles

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/parcours/parcours/ingest"
	"github.com/parcours/parcours/marketplace"
)

// BulkColumns are the columns of a bulk attestation file of employment
// periods (docs/attestations.md), in any order; the first three are required.
var BulkColumns = []string{"nir", "job_title", "start_date", "end_date", "skills", "description"}

// MaxBulkRows bounds one file.
const MaxBulkRows = 10_000

// LineResult is the outcome of one line of a bulk file: the credential
// issued, or why the line was refused. A NIR is never quoted.
type LineResult struct {
	Line         int
	CredentialID string
	EntryID      string
	Field        string // the column at fault
	Error        string
	Code         string // why a line was refused: invalid-input, forbidden, conflict, internal
}

// BulkReport is the outcome of a bulk file.
type BulkReport struct {
	Issued  int
	Refused int
	Lines   []LineResult
}

// AttestBulk attests the employment periods of a CSV file (UTF-8, comma or
// semicolon separated, one header line) with the employer's platform-held
// key. Each line is issued or refused on its own; a malformed header
// refuses the file.
func (s *Service) AttestBulk(ctx context.Context, siret string, r io.Reader) (BulkReport, error) {
	var rep BulkReport
	i, err := s.store.Issuer(ctx, siret)
	if err != nil {
		return rep, err
	}
	if i.Kind != EmployerIssuer {
		return rep, fmt.Errorf("only employers attest employment periods: %w", ErrForbidden)
	}
	if i.Custody != PlatformKey {
		return rep, fmt.Errorf("issuer %s signs with its own key: send each signed credential: %w", siret, ErrConflict)
	}
	data, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return rep, err
	}
	cr := ingest.SniffCSV(data)
	header, err := cr.Read()
	if err != nil {
		return rep, invalidField("csv", "line 1: the header line is missing or malformed")
	}
	col := map[string]int{}
	for n, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		known := false
		for _, c := range BulkColumns {
			known = known || c == h
		}
		if !known {
			return rep, invalidField("csv", "line 1: unknown column %q (want %s)", h, strings.Join(BulkColumns, ", "))
		}
		if _, dup := col[h]; dup {
			return rep, invalidField("csv", "line 1: column %q appears twice", h)
		}
		col[h] = n
	}
	for _, c := range BulkColumns[:3] {
		if _, ok := col[c]; !ok {
			return rep, invalidField("csv", "line 1: column %q is required", c)
		}
	}
	get := func(rec []string, name string) string {
		if n, ok := col[name]; ok && n < len(rec) {
			return strings.TrimSpace(rec[n])
		}
		return ""
	}
	sign, issuerDID, err := s.signer(i)
	if err != nil {
		return rep, err
	}
	// Every line is checked first; the valid ones are then issued
	// together, a chunk at a time (bulkChunk).
	var (
		ready   []int // indexes in rep.Lines of the lines to issue
		entries []Entry
		recs    []Credential
		seen    = map[string]int{} // credential ID -> line
	)
	rows := 0
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		res := LineResult{Line: line}
		switch {
		case err != nil:
			res.Field, res.Error, res.Code = "csv", "malformed CSV line", "invalid-input"
		case len(rec) == 1 && strings.TrimSpace(rec[0]) == "":
			continue
		case len(rec) != len(header):
			res.Field, res.Error, res.Code = "csv", fmt.Sprintf("%d fields, the header has %d", len(rec), len(header)), "invalid-input"
		}
		if rows++; rows > MaxBulkRows {
			return BulkReport{}, invalidField("csv", "at most %d lines in one file", MaxBulkRows)
		}
		if res.Error == "" {
			if e, c, ok := s.bulkLine(ctx, i, rec, get, &res); ok {
				if first, dup := seen[c.ID]; dup {
					res.Error, res.Code = fmt.Sprintf("the same period as line %d", first), "conflict"
				} else {
					seen[c.ID] = line
					ready = append(ready, len(rep.Lines))
					entries, recs = append(entries, e), append(recs, c)
				}
			}
		}
		rep.Lines = append(rep.Lines, res)
	}
	for from := 0; from < len(ready); from += bulkChunk {
		to := min(from+bulkChunk, len(ready))
		es, cs, err := s.issueLines(ctx, entries[from:to], recs[from:to], issuerDID, sign)
		for n, at := range ready[from:to] {
			l := &rep.Lines[at]
			switch {
			case err == nil:
				l.CredentialID, l.EntryID = cs[n].ID, es[n].ID
			case errors.Is(err, ErrConflict):
				l.Error, l.Code = "attested meanwhile by another request", "conflict"
			default:
				l.Error, l.Code = "the line could not be attested; try again later", "internal"
			}
		}
		if err != nil && !errors.Is(err, ErrConflict) {
			s.log.ErrorContext(ctx, "bulk attestation failed", "lines", to-from, "err", err)
		}
	}
	for _, l := range rep.Lines {
		if l.Error == "" {
			rep.Issued++
		} else {
			rep.Refused++
		}
	}
	return rep, nil
}

// bulkChunk is how many lines of a file are issued together.
const bulkChunk = 500

// bulkLine reads and checks one line; ok says it is ready to be issued.
func (s *Service) bulkLine(ctx context.Context, i Issuer, rec []string, get func([]string, string) string, res *LineResult) (Entry, Credential, bool) {
	e := Entry{Kind: Employment, Title: get(rec, "job_title"), Description: get(rec, "description")}
	var err error
	if e.Start, err = parseDay(get(rec, "start_date")); err != nil || e.Start.IsZero() {
		res.Field, res.Error, res.Code = "start_date", "must be a date YYYY-MM-DD", "invalid-input"
		return Entry{}, Credential{}, false
	}
	if e.End, err = parseDay(get(rec, "end_date")); err != nil {
		res.Field, res.Error, res.Code = "end_date", "must be a date YYYY-MM-DD or empty (ongoing)", "invalid-input"
		return Entry{}, Credential{}, false
	}
	if sk := get(rec, "skills"); sk != "" {
		for _, id := range strings.Split(sk, "|") {
			if id = strings.TrimSpace(id); id != "" {
				e.Skills = append(e.Skills, id)
			}
		}
	}
	line, c, err := s.prepare(ctx, i, Attestation{NIR: get(rec, "nir"), Entry: e})
	if err == nil {
		return line, c, true
	}
	var v *marketplace.ValidationError
	switch {
	case errors.As(err, &v) && len(v.Fields) > 0:
		res.Field, res.Error, res.Code = bulkColumn(v.Fields[0].Field), v.Fields[0].Reason, "invalid-input"
	case errors.Is(err, ErrForbidden):
		res.Field, res.Error, res.Code = "nir", err.Error(), "forbidden"
	case errors.Is(err, ErrConflict):
		res.Error, res.Code = err.Error(), "conflict"
	default:
		s.log.ErrorContext(ctx, "bulk attestation line failed", "line", res.Line, "err", err)
		res.Error, res.Code = "the line could not be attested; try again later", "internal"
	}
	return Entry{}, Credential{}, false
}

// bulkColumn maps a line's wire field to the file's column.
func bulkColumn(f string) string {
	switch {
	case f == "title":
		return "job_title"
	case f == "start", f == "end":
		return f + "_date"
	case strings.HasPrefix(f, "skills"):
		return "skills"
	}
	return f
}

func parseDay(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.DateOnly, s)
}
