"""The activation wizard: from a detected device to an active line on an account.

`state` holds what every step shares (finding this browser's wizard, the
order of the steps); `detect` is step 1 (the device proves it is here);
`steps` are steps 2 to 7.
"""
