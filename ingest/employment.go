package ingest

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/parcours/parcours/marketplace"
)

// EmploymentColumns are the columns of an employment declarations file,
// in any order (docs/employment-declarations.md). The first four flags are
// optional and default to false.
var EmploymentColumns = []string{"nir", "year", "employer_siret", "hours_worked", "full_time_hours", "low_qualified", "disabled", "job_seeker"}

var requiredEmployment = map[string]bool{"nir": true, "year": true, "employer_siret": true, "hours_worked": true, "full_time_hours": true}

// MaxEmploymentRows bounds one file.
const MaxEmploymentRows = 1_000_000

// ParseEmployment reads an employment declarations CSV (comma or
// semicolon separated, UTF-8, with a header line). Errors name the line
// and column but never quote a NIR.
func ParseEmployment(r io.Reader) ([]marketplace.DeclarationRow, error) {
	data, err := io.ReadAll(io.LimitReader(r, 512<<20))
	if err != nil {
		return nil, err
	}
	cr := SniffCSV(data)
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("line 1: the header line is missing")
	}
	if err != nil {
		return nil, fmt.Errorf("line 1: %v", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		known := false
		for _, c := range EmploymentColumns {
			known = known || c == h
		}
		if !known {
			return nil, fmt.Errorf("line 1: unknown column %q (want %s)", h, strings.Join(EmploymentColumns, ", "))
		}
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("line 1: column %q appears twice", h)
		}
		col[h] = i
	}
	for c := range requiredEmployment {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("line 1: column %q is required", c)
		}
	}
	var rows []marketplace.DeclarationRow
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: malformed CSV", line)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != len(header) {
			return nil, fmt.Errorf("line %d: %d fields, the header has %d", line, len(rec), len(header))
		}
		if len(rows) == MaxEmploymentRows {
			return nil, fmt.Errorf("line %d: more than %d rows; split the file", line, MaxEmploymentRows)
		}
		field := func(name string) string {
			if i, ok := col[name]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		var row marketplace.DeclarationRow
		var bad []string
		num := func(name string) int {
			n, err := strconv.Atoi(field(name))
			if err != nil {
				bad = append(bad, name+" must be a whole number")
			}
			return n
		}
		flag := func(name string) bool {
			switch strings.ToLower(field(name)) {
			case "", "0", "false", "non", "no":
				return false
			case "1", "true", "oui", "yes":
				return true
			}
			bad = append(bad, name+" must be true or false")
			return false
		}
		row.NIR = field("nir")
		row.Year = num("year")
		row.EmployerSIRET = strings.ReplaceAll(field("employer_siret"), " ", "")
		row.HoursWorked = num("hours_worked")
		row.FullTimeHours = num("full_time_hours")
		row.LowQualified, row.Disabled, row.JobSeeker = flag("low_qualified"), flag("disabled"), flag("job_seeker")
		if _, ok := marketplace.NormalizeNIR(row.NIR); !ok {
			bad = append(bad, "nir is not a valid social security number")
		}
		if len(bad) > 0 {
			return nil, fmt.Errorf("line %d: %s", line, strings.Join(bad, "; "))
		}
		rows = append(rows, row)
	}
}

// SniffCSV reads a CSV file as spreadsheets export it: a UTF-8 byte order
// mark is dropped, and the separator is a semicolon when the first line
// holds more semicolons than commas. Lines may differ in length; the
// caller checks each.
func SniffCSV(data []byte) *csv.Reader {
	text := strings.TrimPrefix(string(data), "\ufeff")
	first, _, _ := strings.Cut(text, "\n")
	cr := csv.NewReader(strings.NewReader(text))
	if strings.Count(first, ";") > strings.Count(first, ",") {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1
	return cr
}
