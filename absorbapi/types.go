package absorbapi

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ActiveStatus is Absorb's user status: 0 is Active and 1 is Inactive. Absorb's
// older shapes send the strings "Active" and "Inactive"; both are read.
type ActiveStatus int

// The two values of ActiveStatus.
const (
	StatusActive   ActiveStatus = 0
	StatusInactive ActiveStatus = 1
)

// UnmarshalJSON reads 0/1 as well as "Active"/"Inactive" (and "0"/"1").
func (s *ActiveStatus) UnmarshalJSON(b []byte) error {
	var n int
	if err := json.Unmarshal(b, &n); err == nil {
		*s = ActiveStatus(n)
		return nil
	}
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return fmt.Errorf("activeStatus: want 0, 1, \"Active\" or \"Inactive\", got %s", b)
	}
	switch strings.ToLower(strings.TrimSpace(str)) {
	case "active", "0":
		*s = StatusActive
	case "inactive", "1":
		*s = StatusInactive
	default:
		return fmt.Errorf("activeStatus: unknown value %q", str)
	}
	return nil
}

// User is an Absorb user as the Integration API (v2, camelCase) reads and writes it.
// Password is write-only: Absorb never returns it and the bridge never stores it.
type User struct {
	ID               string         `json:"id,omitempty"`
	DepartmentID     string         `json:"departmentId,omitempty"`
	FirstName        string         `json:"firstName,omitempty"`
	MiddleName       string         `json:"middleName,omitempty"`
	LastName         string         `json:"lastName,omitempty"`
	Username         string         `json:"username,omitempty"`
	Password         string         `json:"password,omitempty"`
	EmailAddress     string         `json:"emailAddress,omitempty"`
	CCEmailAddresses []string       `json:"ccEmailAddresses,omitempty"`
	ExternalID       string         `json:"externalId,omitempty"`
	LanguageID       *int           `json:"languageId,omitempty"`
	Gender           *int           `json:"gender,omitempty"`
	Address          string         `json:"address,omitempty"`
	Address2         string         `json:"address2,omitempty"`
	City             string         `json:"city,omitempty"`
	PostalCode       string         `json:"postalCode,omitempty"`
	ProvinceID       string         `json:"provinceId,omitempty"`
	CountryID        string         `json:"countryId,omitempty"`
	Phone            string         `json:"phone,omitempty"`
	EmployeeNumber   string         `json:"employeeNumber,omitempty"`
	Location         string         `json:"location,omitempty"`
	JobTitle         string         `json:"jobTitle,omitempty"`
	ReferenceNumber  string         `json:"referenceNumber,omitempty"`
	Notes            string         `json:"notes,omitempty"`
	DateHired        string         `json:"dateHired,omitempty"`
	DateTerminated   string         `json:"dateTerminated,omitempty"`
	DateAdded        string         `json:"dateAdded,omitempty"`
	DateEdited       string         `json:"dateEdited,omitempty"`
	LastLoginDate    string         `json:"lastLoginDate,omitempty"`
	CustomFields     map[string]any `json:"customFields,omitempty"`
	RoleIDs          []string       `json:"roleIds,omitempty"`
	ActiveStatus     ActiveStatus   `json:"activeStatus"`
	IsLearner        bool           `json:"isLearner"`
	IsAdmin          bool           `json:"isAdmin"`
	IsInstructor     bool           `json:"isInstructor"`
	IsManager        bool           `json:"isManager"`
	SupervisorID     string         `json:"supervisorId,omitempty"`
	HasUsername      bool           `json:"hasUsername"`
}

// Active reports whether the user's status is Active.
func (u User) Active() bool { return u.ActiveStatus == StatusActive }

// Department is a node of Absorb's department tree.
type Department struct {
	ID         string `json:"id,omitempty"`
	Name       string `json:"name"`
	ParentID   string `json:"parentId,omitempty"`
	ExternalID string `json:"externalId,omitempty"`
	DateAdded  string `json:"dateAdded,omitempty"`
	DateEdited string `json:"dateEdited,omitempty"`
}

// Group is an Absorb user group; the Integration API exposes groups read-only.
type Group struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	IsAutomatic bool     `json:"isAutomatic"`
	UserIDs     []string `json:"userIds"`
	DateAdded   string   `json:"dateAdded,omitempty"`
	DateEdited  string   `json:"dateEdited,omitempty"`
}

// Course is an Absorb course (only the fields the bridge uses).
type Course struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ExternalID  string `json:"externalId,omitempty"`
	Description string `json:"description,omitempty"`
	DateAdded   string `json:"dateAdded,omitempty"`
	DateEdited  string `json:"dateEdited,omitempty"`
}

// Enrollment is a user's enrollment in a course.
type Enrollment struct {
	ID         string  `json:"id"`
	CourseID   string  `json:"courseId"`
	CourseName string  `json:"courseName,omitempty"`
	UserID     string  `json:"userId"`
	Status     int     `json:"status"`
	Progress   float64 `json:"progress"`
	DateAdded  string  `json:"dateAdded,omitempty"`
	DateEdited string  `json:"dateEdited,omitempty"`
}

// UploadResult is the outcome for one user of an upload: Absorb answers with
// [{key: id, value: username}] for the users it took; a user missing from the
// answer failed.
type UploadResult struct {
	Username string
	ID       string // Absorb id when OK
	OK       bool
	Err      error // why it failed, when !OK
}
