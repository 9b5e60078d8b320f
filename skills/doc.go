// Package skills will hold the skills graph interface (skills, occupations,
// certifications, trainings, jobs) and its embedded implementation; nothing
// is implemented here yet.
package skills
