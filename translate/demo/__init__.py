"""The Gradio web demo (app.py), its example photos (examples/) and the script that screenshots it
(screenshot.py). gradio is imported in app.py and nowhere else in the project."""
