"""The homevoice satellite (edge program); built in the satellite issue."""
