package marketplace

import (
	"testing"
	"time"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestEaster(t *testing.T) {
	for year, want := range map[int]time.Time{
		2024: date(2024, 3, 31), 2025: date(2025, 4, 20), 2026: date(2026, 4, 5),
		2027: date(2027, 3, 28), 2038: date(2038, 4, 25), 2285: date(2285, 3, 22),
	} {
		if got := Easter(year); !got.Equal(want) {
			t.Errorf("Easter(%d) = %s, want %s", year, got.Format(time.DateOnly), want.Format(time.DateOnly))
		}
	}
}

func TestPublicHolidays2027(t *testing.T) {
	want := map[string]bool{
		"2027-01-01": true, "2027-03-29": true, "2027-05-01": true, "2027-05-06": true, "2027-05-08": true,
		"2027-05-17": true, "2027-07-14": true, "2027-08-15": true, "2027-11-01": true, "2027-11-11": true, "2027-12-25": true,
	}
	got := map[string]bool{}
	for d := date(2027, 1, 1); d.Year() == 2027; d = d.AddDate(0, 0, 1) {
		if PublicHoliday(d) {
			got[d.Format(time.DateOnly)] = true
		}
	}
	if len(got) != len(want) {
		t.Errorf("holidays %v, want %v", got, want)
	}
	for d := range want {
		if !got[d] {
			t.Errorf("%s is not a holiday", d)
		}
	}
}

func TestWorkingDays(t *testing.T) {
	tests := []struct {
		name string
		from time.Time
		n    int
		want time.Time
	}{
		// Ascension 2027 is Thursday 6 May: Wednesday + 2 working days skips it.
		{"across Ascension", date(2027, 5, 5), 2, date(2027, 5, 10)},
		{"Friday + 1", date(2027, 5, 7), 1, date(2027, 5, 10)},
		// Whit Monday 17 May 2027.
		{"across Whit Monday", date(2027, 5, 14), 1, date(2027, 5, 18)},
		{"Easter Monday 2026", date(2026, 4, 3), 1, date(2026, 4, 7)},
		{"zero", date(2027, 5, 6), 0, date(2027, 5, 6)},
		{"11 from a Monday in May 2027", date(2027, 5, 3), 11, date(2027, 5, 20)},
	}
	for _, tt := range tests {
		got := AddWorkingDays(tt.from, tt.n)
		if !got.Equal(tt.want) {
			t.Errorf("%s: AddWorkingDays(%s, %d) = %s, want %s", tt.name, tt.from.Format(time.DateOnly), tt.n, got.Format(time.DateOnly), tt.want.Format(time.DateOnly))
		}
		if tt.n > 0 {
			if k := WorkingDaysBetween(tt.from, got); k != tt.n {
				t.Errorf("%s: WorkingDaysBetween = %d, want %d", tt.name, k, tt.n)
			}
		}
	}
}

func TestDayIsParisDate(t *testing.T) {
	// 23:30 UTC on 5 May is already 6 May in Paris (UTC+2).
	got := Day(time.Date(2027, 5, 5, 23, 30, 0, 0, time.UTC))
	if !got.Equal(date(2027, 5, 6)) {
		t.Errorf("Day = %s, want 2027-05-06", got)
	}
}
