package survey

import (
	"tongdu/platform/auth"
)

// method is the prefix of this service's full gRPC method names.
const method = "/tongdu.survey.v1.SurveyService/"

// Policy says who may call each method of the survey service, and on what:
// the roles allowed, the request field naming the resource (which must lie in the
// caller's scope), and any further check. A process merges the policies of the services
// it serves (auth.Merge); a test in cmd/tongdu fails when a method has no entry.
var Policy = auth.Policy{
	// survey: staff run surveys; grid workers, branch secretaries and building leaders
	// collect answers door to door and at courtyard meetings; residents answer for their
	// own household and read their compound's results.
	method + "CreateSurvey":         {Roles: auth.RolesOf(auth.Staff, []auth.Role{auth.OwnersCommittee}), Target: "compounds/{survey.compound_id}"},
	method + "GetSurvey":            {Roles: auth.WorksReaders, Target: "surveys/{id}", Shared: true},
	method + "ListSurveys":          {Roles: auth.WorksReaders, Target: "compounds/{compound_id}", Shared: true},
	method + "UpdateSurvey":         {Roles: auth.RolesOf(auth.Staff, []auth.Role{auth.OwnersCommittee}), Target: "surveys/{survey.id}"},
	method + "OpenSurvey":           {Roles: auth.RolesOf(auth.Staff, []auth.Role{auth.OwnersCommittee}), Target: "surveys/{id}"},
	method + "CloseSurvey":          {Roles: auth.RolesOf(auth.Staff, []auth.Role{auth.OwnersCommittee}), Target: "surveys/{id}"},
	method + "SubmitResponse":       {Roles: auth.RolesOf(auth.CompoundPeople, []auth.Role{auth.Resident}), Target: "surveys/{survey_id}", Shared: true, Own: "response.household_id"},
	method + "BatchSubmitResponses": {Roles: auth.CompoundPeople, Target: "surveys/{survey_id}"},
	method + "ListResponses":        {Roles: auth.CompoundPeople, Target: "surveys/{survey_id}"},
	method + "GetResponse":          {Roles: auth.RolesOf(auth.CompoundPeople, []auth.Role{auth.Resident}), Target: "surveys/{survey_id}", Shared: true, Own: "household_id"},
	method + "GetSurveyStats":       {Roles: auth.WorksReaders, Target: "surveys/{survey_id}", Shared: true},
	method + "ExportSurveyStats":    {Roles: auth.RolesOf(auth.CompoundPeople, []auth.Role{auth.Auditor}), Target: "surveys/{survey_id}"},
	method + "GetResolutionResult":  {Roles: auth.WorksReaders, Target: "surveys/{survey_id}", Shared: true},
	method + "CreateMeeting":        {Roles: auth.CompoundPeople, Target: "compounds/{meeting.compound_id}"},
	method + "GetMeeting":           {Roles: auth.Readers, Target: "meetings/{id}", Shared: true},
	method + "ListMeetings":         {Roles: auth.Readers, Target: "compounds/{compound_id}", Shared: true},
	method + "CloseMeeting":         {Roles: auth.CompoundPeople, Target: "meetings/{id}"},
	method + "CreateIdea":           {Roles: auth.RolesOf(auth.CompoundPeople, []auth.Role{auth.Resident}), Target: "compounds/{idea.compound_id}", Shared: true, Own: "idea.household_id"},
	method + "GetIdea":              {Roles: auth.Readers, Target: "ideas/{id}", Shared: true},
	method + "ListIdeas":            {Roles: auth.Readers, Target: "compounds/{compound_id}", Shared: true},
	method + "EndorseIdea":          {Roles: auth.RolesOf(auth.CompoundPeople, []auth.Role{auth.Resident}), Target: "ideas/{id}", Shared: true, Own: "household_id"},
	method + "AdoptIdea":            {Roles: auth.RolesOf(auth.Staff, []auth.Role{auth.OwnersCommittee}), Target: "ideas/{id}"},
	method + "DeclineIdea":          {Roles: auth.RolesOf(auth.Staff, []auth.Role{auth.OwnersCommittee}), Target: "ideas/{id}"},
	method + "GetRanking":           {Roles: auth.RolesOf(auth.Staff, []auth.Role{auth.Auditor}), Target: "regions/{region_id}"},
	// The ranking as a workbook: as the ranking (issue 20).
	method + "ExportRanking": {Roles: auth.RolesOf(auth.Staff, []auth.Role{auth.Auditor}), Target: "regions/{region_id}"},
}
