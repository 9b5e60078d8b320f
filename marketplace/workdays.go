package marketplace

import (
	"time"
	_ "time/tzdata" // deadlines are in Paris time, whatever the host's zone database
)

// Paris is the time zone of dossier deadlines.
var Paris = mustLoad("Europe/Paris")

func mustLoad(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// Day returns the calendar day of t in Paris, as midnight UTC of that date,
// the form every dossier date is kept in.
func Day(t time.Time) time.Time {
	y, m, d := t.In(Paris).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Easter returns Easter Sunday of a Gregorian year (the anonymous
// Gregorian algorithm, also known as Meeus/Jones/Butcher).
func Easter(year int) time.Time {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
}

// PublicHoliday reports whether a day (as returned by Day) is a French
// public holiday in metropolitan France: 1 January, Easter Monday, 1 May,
// 8 May, Ascension, Whit Monday, 14 July, 15 August, 1 November,
// 11 November and 25 December. (Alsace-Moselle's Good Friday and 26
// December, and the overseas abolition days, are not counted.)
func PublicHoliday(day time.Time) bool {
	switch m, d := day.Month(), day.Day(); {
	case m == time.January && d == 1, m == time.May && (d == 1 || d == 8), m == time.July && d == 14,
		m == time.August && d == 15, m == time.November && (d == 1 || d == 11), m == time.December && d == 25:
		return true
	}
	e := Easter(day.Year())
	for _, offset := range []int{1, 39, 50} { // Easter Monday, Ascension, Whit Monday
		if day.Equal(e.AddDate(0, 0, offset)) {
			return true
		}
	}
	return false
}

// WorkingDay reports whether a day is worked: Monday to Friday and not a
// public holiday.
func WorkingDay(day time.Time) bool {
	wd := day.Weekday()
	return wd != time.Saturday && wd != time.Sunday && !PublicHoliday(day)
}

// AddWorkingDays returns the day n working days after day (n >= 0); with
// n = 0 it returns day itself.
func AddWorkingDays(day time.Time, n int) time.Time {
	d := Day(day)
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if WorkingDay(d) {
			n--
		}
	}
	return d
}

// WorkingDaysBetween counts the working days d with from < d <= to; it is 0
// when to is not after from.
func WorkingDaysBetween(from, to time.Time) int {
	a, b := Day(from), Day(to)
	n := 0
	for d := a.AddDate(0, 0, 1); !d.After(b); d = d.AddDate(0, 0, 1) {
		if WorkingDay(d) {
			n++
		}
	}
	return n
}
