// entry point of the oipd page
