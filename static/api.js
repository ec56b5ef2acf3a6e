// API calls of the oipd page
