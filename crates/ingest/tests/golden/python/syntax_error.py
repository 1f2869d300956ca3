import os

def broken(a, b:
    return a + b

def fine():
    return os.getcwd()

class Half:
    def method(self)
        pass
