// Package e2e tests Tongdu end to end: the all-in-one started in-process on real Redis,
// driven only through the REST gateway, as a web client would.
package e2e
