locals { # open
  a = 1 # one
  bb = [ # list
    1, # first
    22, # second
  ]
  ccc = 3 # three
}
