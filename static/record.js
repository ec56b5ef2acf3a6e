// record view of the oipd page
