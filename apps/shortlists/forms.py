from django import forms

from .models import Shortlist


class ShortlistForm(forms.ModelForm):
    class Meta:
        model = Shortlist
        fields = ["title", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3, "maxlength": 2000})}
        help_texts = {
            "title": "No patient names: the list can be printed and shared.",
            "note": "For example what to ask each practice. No patient details.",
        }
