from django.shortcuts import get_object_or_404, render

from .models import Physician, SpecialtyCategory


def home(request):
    return render(request, "directory/home.html", {"specialty_categories": SpecialtyCategory.choices})


def physician_detail(request, npi, slug=None):
    physician = get_object_or_404(Physician.objects.active(), npi=npi)
    return render(request, "directory/physician_detail.html", {"physician": physician})
